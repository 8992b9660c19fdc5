package io.canaryproxy.server.http1;

import io.canaryproxy.http.Headers;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** {@link Headers} over Netty's {@code HttpHeaders}, without copying them. */
public final class NettyHeaders implements Headers {
  private HttpHeaders headers;

  NettyHeaders(HttpHeaders headers) {
    this.headers = headers;
  }

  /** A view of {@code headers}, which stay Netty's: changes through the view change them. */
  public static NettyHeaders of(HttpHeaders headers) {
    return new NettyHeaders(headers);
  }

  /** Fields a test or an adapter fills from nothing. */
  public static NettyHeaders create() {
    return new NettyHeaders(new DefaultHttpHeaders());
  }

  /** Re-points this view at another message's headers (views are reused per connection). */
  void reset(HttpHeaders headers) {
    this.headers = headers;
  }

  /** The Netty headers behind this view. */
  HttpHeaders unwrap() {
    return headers;
  }

  /** Netty headers holding the same fields as {@code h}: its own when it is a view, else a copy. */
  static HttpHeaders toNetty(Headers h) {
    if (h instanceof NettyHeaders n) {
      return n.headers;
    }
    HttpHeaders out = new DefaultHttpHeaders();
    for (Map.Entry<CharSequence, CharSequence> e : h) {
      // Copied: an adapter's iterator may hand out views it re-points at the next field; a String
      // or an AsciiString (an HTTP/2 peer's decoded field) does not change and is kept.
      out.add(stable(e.getKey()), stable(e.getValue()));
    }
    return out;
  }

  private static CharSequence stable(CharSequence s) {
    return s instanceof String || s instanceof AsciiString ? s : s.toString();
  }

  @Override
  public String get(CharSequence name) {
    return headers.get(name);
  }

  @Override
  public List<String> getAll(CharSequence name) {
    return headers.getAll(name);
  }

  @Override
  public boolean contains(CharSequence name) {
    return headers.contains(name);
  }

  @Override
  public void set(CharSequence name, CharSequence value) {
    headers.set(name, value);
  }

  @Override
  public void add(CharSequence name, CharSequence value) {
    headers.add(name, value);
  }

  @Override
  public void remove(CharSequence name) {
    headers.remove(name);
  }

  @Override
  public int size() {
    return headers.size();
  }

  @Override
  public boolean isEmpty() {
    return headers.isEmpty();
  }

  @Override
  public Iterator<Map.Entry<CharSequence, CharSequence>> iterator() {
    return headers.iteratorCharSequence();
  }
}
