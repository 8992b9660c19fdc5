package io.canaryproxy.http;

/**
 * A response as the proxy sees it, whatever protocol carried it: status, reason, version and
 * headers. Interim responses (1xx) are heads too, each followed by its own {@link BodyEnd}.
 */
public interface ResponseHead {
  /** The status code, 100..599. */
  int status();

  /** The reason phrase as sent (may be empty). */
  String reason();

  HttpVersion version();

  /** The header fields; changes go to the client. */
  Headers headers();

  /**
   * True when the sender closes its connection after this message (HTTP/1: {@code Connection:
   * close}, or HTTP/1.0 without keep-alive), so the connection cannot carry another exchange. Read
   * when the head arrives, before any header is removed.
   */
  boolean closesConnection();
}
