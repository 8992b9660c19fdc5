package io.canaryproxy.routing;

import java.net.InetAddress;

/**
 * What routing may read from a request. The Netty layer adapts its request to this, so that routing
 * stays plain Java. Implementations must not allocate on these calls.
 */
public interface RequestView {
  /** The first value of the header with this lower-case name, or {@code null}. */
  String header(String lowerCaseName);

  /**
   * As {@link #header}, as a character sequence that may be a view of the bytes received, valid
   * until the call that routes the request returns (copy it to keep it): a user key is hashed from
   * it without a string being made.
   */
  default CharSequence headerValue(String lowerCaseName) {
    return header(lowerCaseName);
  }

  /** The request path without the query string, e.g. {@code /a/b}. */
  String path();

  /** The client's address, or {@code null} when unknown (then it is never trusted). */
  InetAddress remoteAddress();

  /**
   * A field of the client certificate that the TLS listener verified: {@code subject} (RFC 2253
   * distinguished name) or {@code san} (the first subject alternative name); {@code null} without a
   * verified certificate.
   */
  default String clientCertificate(String field) {
    return null;
  }
}
