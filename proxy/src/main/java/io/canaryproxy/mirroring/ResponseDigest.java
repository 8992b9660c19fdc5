package io.canaryproxy.mirroring;

import io.canaryproxy.grpc.GrpcCalls;
import io.canaryproxy.http.HeaderNames;
import io.canaryproxy.http.Headers;
import io.canaryproxy.http.ResponseHead;
import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * What one side's response looks like for comparison, fed as the response streams: the status, the
 * compared header values, and the body as a CRC32C digest plus its length. A JSON body is also kept
 * as bytes, up to {@code compare.maxBodyBytes}, when JSON comparison is on. Nothing is kept once
 * the body passes that size. Used by one event loop.
 */
final class ResponseDigest {
  private final List<String> headerNames;
  private final long maxBodyBytes;
  private final boolean keepJson;
  private final CRC32C crc = new CRC32C();
  private int status;
  private String grpcStatus;
  private String[] headerValues;
  private long length;
  private boolean tooLarge;
  private byte[] json;
  private int jsonLength;
  private boolean complete;

  /**
   * @param headerNames lower-case names of the compared headers
   * @param maxBodyBytes bodies past this size are not compared
   * @param keepJson keep JSON bodies (content type containing {@code json}) for a structural
   *     comparison
   */
  ResponseDigest(List<String> headerNames, long maxBodyBytes, boolean keepJson) {
    this.headerNames = headerNames;
    this.maxBodyBytes = maxBodyBytes;
    this.keepJson = keepJson;
  }

  void head(ResponseHead response) {
    status = response.status();
    grpcStatus = response.headers().get(GrpcCalls.STATUS); // a trailers-only gRPC answer
    headerValues = new String[headerNames.size()];
    for (int i = 0; i < headerValues.length; i++) {
      headerValues[i] = response.headers().get(headerNames.get(i));
    }
    String type = response.headers().get(HeaderNames.CONTENT_TYPE);
    if (keepJson && type != null && type.contains("json")) {
      json = new byte[256];
    }
  }

  /** Adds body bytes; reads {@code buf} without changing its indexes. */
  void content(ByteBuf buf) {
    int n = buf.readableBytes();
    if (n == 0 || tooLarge) {
      return;
    }
    length += n;
    if (length > maxBodyBytes) {
      tooLarge = true;
      json = null;
      return;
    }
    if (buf.nioBufferCount() == 1) {
      crc.update(buf.nioBuffer());
    } else {
      for (ByteBuffer b : buf.nioBuffers()) {
        crc.update(b);
      }
    }
    if (json != null) {
      if (jsonLength + n > json.length) {
        json =
            Arrays.copyOf(
                json, (int) Math.min(Math.max(json.length * 2L, jsonLength + n), maxBodyBytes));
      }
      buf.getBytes(buf.readerIndex(), json, jsonLength, n);
      jsonLength += n;
    }
  }

  /** The body ended without trailers. */
  void complete() {
    complete(null);
  }

  /** The body ended; {@code trailers} (or {@code null}) may carry a gRPC status. */
  void complete(Headers trailers) {
    if (trailers != null) {
      String s = trailers.get(GrpcCalls.STATUS);
      if (s != null) {
        grpcStatus = s;
      }
    }
    complete = true;
  }

  /** The {@code grpc-status} of the response (trailers or head), or {@code null}. */
  String grpcStatus() {
    return grpcStatus;
  }

  boolean isComplete() {
    return complete;
  }

  int status() {
    return status;
  }

  String headerValue(int i) {
    return headerValues[i];
  }

  long length() {
    return length;
  }

  boolean tooLarge() {
    return tooLarge;
  }

  long crc() {
    return crc.getValue();
  }

  /** The JSON body bytes, or {@code null} when the body is not kept. */
  byte[] jsonBytes() {
    return json == null ? null : Arrays.copyOf(json, jsonLength);
  }
}
