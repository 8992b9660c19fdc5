package io.canaryproxy.http;

/**
 * Ends a message body: every body ends with exactly one, even an empty body. Carries the trailer
 * fields; {@link #NONE} (no trailers) is the usual one and costs no allocation.
 */
public final class BodyEnd {
  /** The end of a body without trailers. */
  public static final BodyEnd NONE = new BodyEnd(null);

  private final Headers trailers;

  private BodyEnd(Headers trailers) {
    this.trailers = trailers;
  }

  /** An end with {@code trailers}, or {@link #NONE} when there are none. */
  public static BodyEnd of(Headers trailers) {
    return trailers == null || trailers.isEmpty() ? NONE : new BodyEnd(trailers);
  }

  /** The trailer fields, or {@code null} when there are none. */
  public Headers trailers() {
    return trailers;
  }
}
