package io.canaryproxy.http;

/** The protocol version a message arrived with. */
public enum HttpVersion {
  HTTP_1_0,
  HTTP_1_1,
  HTTP_2
}
