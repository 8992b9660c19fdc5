package io.canaryproxy.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A blocking HTTP/1.1 client over a plain socket, for inputs that real clients refuse to send. */
public final class RawHttp implements AutoCloseable {
  /** One parsed response. */
  public record Response(int status, List<String> headerLines, byte[] body) {
    public String header(String name) {
      String prefix = name.toLowerCase(Locale.ROOT) + ":";
      for (String line : headerLines) {
        if (line.toLowerCase(Locale.ROOT).startsWith(prefix)) {
          return line.substring(prefix.length()).trim();
        }
      }
      return null;
    }

    public String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  public RawHttp(int port) throws IOException {
    socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(10_000);
    in = new java.io.BufferedInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  public RawHttp send(String raw) throws IOException {
    out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    return this;
  }

  public OutputStream output() {
    return out;
  }

  /** The connection's input, positioned after what {@link #read} consumed (e.g. tunnel bytes). */
  public InputStream input() {
    return in;
  }

  /** Reads one response; {@code headRequest} means no body follows whatever the headers say. */
  public Response read(boolean headRequest) throws IOException {
    String status = line();
    if (status == null) {
      throw new IOException("connection closed before a response");
    }
    int code = Integer.parseInt(status.split(" ")[1]);
    List<String> headers = new ArrayList<>();
    String line;
    while (!(line = line()).isEmpty()) {
      headers.add(line);
    }
    Response head = new Response(code, headers, new byte[0]);
    if (headRequest || code == 204 || code == 304 || code < 200) {
      return head;
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    String length = head.header("content-length");
    String te = head.header("transfer-encoding");
    if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
      while (true) {
        int size = Integer.parseInt(line().split(";")[0].trim(), 16);
        if (size == 0) {
          while (!line().isEmpty()) {
            // trailers
          }
          break;
        }
        byte[] chunk = in.readNBytes(size);
        if (chunk.length < size) {
          throw new IOException("chunk truncated");
        }
        body.write(chunk);
        line();
      }
    } else if (length != null) {
      int expected = Integer.parseInt(length);
      byte[] bytes = in.readNBytes(expected);
      if (bytes.length < expected) {
        throw new IOException("body truncated: " + bytes.length + " of " + expected + " bytes");
      }
      body.write(bytes);
    } else {
      body.write(in.readAllBytes());
    }
    return new Response(code, headers, body.toByteArray());
  }

  public Response read() throws IOException {
    return read(false);
  }

  /** True when the server closed the connection (reads end of stream). */
  public boolean closedByPeer() throws IOException {
    try {
      return in.read() < 0;
    } catch (java.net.SocketException e) {
      return true;
    }
  }

  private String line() throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        int n = sb.length();
        return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
      }
      sb.append((char) c);
    }
    return sb.length() == 0 ? null : sb.toString();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
