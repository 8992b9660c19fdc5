package io.canaryproxy.http1;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * What a request path made of one client byte stream, in a form two paths can be compared in: the
 * requests it let through (method, target, version, fields, framing, body length, the head it would
 * forward), then the status it refused the stream with, if any.
 */
public final class Exchange1 {
  /** One request let through. */
  public static final class Request {
    public String method;
    public String target;
    public int minor;
    public final List<String> fields = new ArrayList<>();
    public String framing;
    public long bodyBytes;
    public boolean complete;
    public String forwardedHead;

    @Override
    public String toString() {
      return method
          + " "
          + target
          + " HTTP/1."
          + minor
          + " "
          + fields
          + " framing="
          + framing
          + " body="
          + bodyBytes
          + (complete ? "" : " (incomplete)")
          + "\n  forwards: "
          + forwardedHead;
    }
  }

  public final List<Request> requests = new ArrayList<>();

  /** The status the stream was refused with; 0 when it was not. */
  public int rejectedStatus;

  /** The stream was refused in the body of its last request. */
  public boolean rejectedInBody;

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    for (Request r : requests) {
      sb.append(r).append('\n');
    }
    sb.append(rejectedStatus == 0 ? "not refused" : "refused " + rejectedStatus);
    if (rejectedInBody) {
      sb.append(" in the body");
    }
    return sb.toString();
  }

  /** Escapes bytes for a failure message. */
  public static String escape(byte[] input) {
    StringBuilder sb = new StringBuilder("\"");
    for (byte b : input) {
      int c = b & 0xff;
      if (c == '\r') {
        sb.append("\\r");
      } else if (c == '\n') {
        sb.append("\\n");
      } else if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
        sb.append("\\x").append(HexFormat.of().toHexDigits((byte) c));
      } else {
        sb.append((char) c);
      }
    }
    return sb.append('"').toString();
  }
}
