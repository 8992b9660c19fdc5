package io.canaryproxy.http;

import io.netty.util.AsciiString;

/** Lower-case field names and values the proxy reads or writes, cached for cheap lookups. */
public final class HeaderNames {
  public static final AsciiString HOST = AsciiString.cached("host");
  public static final AsciiString CONTENT_LENGTH = AsciiString.cached("content-length");
  public static final AsciiString CONTENT_TYPE = AsciiString.cached("content-type");
  public static final AsciiString TRANSFER_ENCODING = AsciiString.cached("transfer-encoding");
  public static final AsciiString CONNECTION = AsciiString.cached("connection");
  public static final AsciiString KEEP_ALIVE = AsciiString.cached("keep-alive");
  public static final AsciiString TE = AsciiString.cached("te");
  public static final AsciiString TRAILER = AsciiString.cached("trailer");
  public static final AsciiString UPGRADE = AsciiString.cached("upgrade");
  public static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
  public static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
  public static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");

  /** The value {@code chunked}. */
  public static final AsciiString CHUNKED = AsciiString.cached("chunked");

  /** The value (and, listed in {@code Connection}, the field name) {@code close}. */
  public static final AsciiString CLOSE = AsciiString.cached("close");

  private HeaderNames() {}
}
