package io.canaryproxy.routing;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.Map;

/**
 * A {@link RequestView} built in tests: lower-case header names, a path and an optional client
 * address.
 */
final class FakeRequest implements RequestView {
  private final Map<String, String> headers = new HashMap<>();
  private String path = "/";
  private InetAddress remote;
  private final Map<String, String> certificate = new HashMap<>();

  static FakeRequest request() {
    return new FakeRequest();
  }

  FakeRequest header(String name, String value) {
    headers.put(name, value);
    return this;
  }

  FakeRequest path(String p) {
    this.path = p;
    return this;
  }

  FakeRequest from(String literal) {
    try {
      this.remote = InetAddress.getByName(literal);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(literal, e);
    }
    return this;
  }

  @Override
  public String header(String lowerCaseName) {
    return headers.get(lowerCaseName);
  }

  @Override
  public String path() {
    return path;
  }

  /** A verified client certificate field ({@code subject} or {@code san}). */
  FakeRequest certificate(String field, String value) {
    certificate.put(field, value);
    return this;
  }

  @Override
  public String clientCertificate(String field) {
    return certificate.get(field);
  }

  @Override
  public InetAddress remoteAddress() {
    return remote;
  }
}
