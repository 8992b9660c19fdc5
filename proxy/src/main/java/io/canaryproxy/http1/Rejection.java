package io.canaryproxy.http1;

/**
 * Why a message was refused, with the status the client gets (RFC 9110 §15; the README's table of
 * HTTP rejections). Constants, so a rejection allocates nothing.
 */
public enum Rejection {
  LINE_TOO_LONG(414, "request line over the limit"),
  HEADERS_TOO_LARGE(431, "header section over the limit"),
  TOO_MANY_FIELDS(431, "too many header fields"),
  BARE_LF(400, "a line ends in LF without CR"),
  BYTES_BEFORE_REQUEST_LINE(400, "whitespace or a control byte before the request line"),
  BAD_REQUEST_LINE(400, "invalid request line"),
  BAD_METHOD(400, "invalid method"),
  BAD_TARGET(400, "invalid request target"),
  BAD_VERSION(400, "invalid HTTP version"),
  BAD_FIELD_LINE(400, "invalid header field line"),
  BAD_FIELD_NAME(400, "invalid header field name"),
  BAD_FIELD_VALUE(400, "invalid header field value"),
  OBS_FOLD(400, "obsolete line folding in a header field (RFC 9112 section 5.2)"),
  BAD_CONTENT_LENGTH(400, "invalid Content-Length"),
  SEVERAL_CONTENT_LENGTHS(400, "more than one Content-Length"),
  TRANSFER_ENCODING_NOT_HTTP11(400, "Transfer-Encoding is only allowed in HTTP/1.1"),
  BAD_TRANSFER_ENCODING(400, "the final transfer coding must be chunked, applied once"),
  LENGTH_WITH_TRANSFER_ENCODING(400, "Content-Length with Transfer-Encoding"),
  HOST_COUNT(400, "exactly one Host header is required"),
  BAD_HOST(400, "invalid Host header"),
  BAD_CHUNK(400, "invalid chunked body"),
  VERSION_NOT_SUPPORTED(505, "only HTTP/1.0 and HTTP/1.1"),
  CONNECT(501, "CONNECT is not supported"),
  CODING_NOT_IMPLEMENTED(501, "transfer codings other than chunked"),
  BODY_TOO_LARGE(413, "request body over the limit"),
  EXPECTATION(417, "unsupported expectation"),
  // Response-side verdicts (the backend's fault: the proxy answers 502 bad_response).
  BAD_RESPONSE(502, "invalid response head from the backend");

  private final int status;
  private final String reason;

  Rejection(int status, String reason) {
    this.status = status;
    this.reason = reason;
  }

  /** The status code the client is answered with. */
  public int status() {
    return status;
  }

  /** A short, fixed explanation for logs and the answer's body. */
  public String reason() {
    return reason;
  }
}
