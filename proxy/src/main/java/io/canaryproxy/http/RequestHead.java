package io.canaryproxy.http;

/**
 * A request as the proxy sees it, whatever protocol carried it: method, target, version and
 * headers. The body follows as {@code ByteBuf} pieces and one {@link BodyEnd} (see the package
 * ownership rule).
 */
public interface RequestHead {
  /** The method, upper case as sent: {@code GET}. */
  String method();

  /** The request target as sent: origin form {@code /p?q}, or absolute form. */
  String target();

  /**
   * The target's path without the query string (of an absolute-form target, its path part), as
   * routing and the access log read it ({@link RequestTargets#pathOf}); an adapter may make it
   * without first making a string of the whole target.
   */
  default String path() {
    return RequestTargets.pathOf(target());
  }

  HttpVersion version();

  /** The header fields; changes go to the backend. */
  Headers headers();

  /**
   * The body length the adapter validated: the byte count, 0 for no body, or -1 when the length is
   * not known in advance (a chunked or streamed body).
   */
  long bodyLength();

  /** A deep copy with its own headers, which outlives the exchange (a mirrored request). */
  RequestHead copy();
}
