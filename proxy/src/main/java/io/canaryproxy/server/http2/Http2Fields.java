package io.canaryproxy.server.http2;

import io.canaryproxy.http.Headers;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * {@link Headers} over the header block Netty decoded from an HTTP/2 peer, without copying it: its
 * regular fields, the pseudo-header fields hidden. Names are looked up and added in lower case
 * (HTTP/2 field names are lower case, RFC 9113 §8.2.1), so that they compare case-insensitively as
 * the model requires. The block can then be written to an HTTP/2 peer as it is ({@link #unwrap}),
 * with the changes made through this view. In a request's view ({@link #request}) the {@code
 * :authority} pseudo-header field is the request's {@code host} field. Event-loop only.
 */
final class Http2Fields implements Headers {
  private static final AsciiString HOST = AsciiString.cached("host");
  private static final AsciiString AUTHORITY = Http2Headers.PseudoHeaderName.AUTHORITY.value();

  private final Http2Headers h2;

  /** True in a request's view, where {@code :authority} is read and written as {@code host}. */
  private final boolean hostIsAuthority;

  Http2Fields(Http2Headers h2) {
    this(h2, false);
  }

  private Http2Fields(Http2Headers h2, boolean hostIsAuthority) {
    this.h2 = h2;
    this.hostIsAuthority = hostIsAuthority;
  }

  /**
   * The view of a request block that carries {@code :authority} and no {@code host} field: {@code
   * :authority} stands for {@code host} (RFC 9113 §8.3.1: it replaces Host), in lookups, changes,
   * {@link #size} and iteration (where it comes first, named {@code host}). So the authority is not
   * copied into a {@code host} field of the block, nor back into {@code :authority} for an HTTP/2
   * backend. A {@code host} value added while {@code :authority} is present becomes a {@code host}
   * field after it (as a second Host field would be).
   */
  static Http2Fields request(Http2Headers h2) {
    return new Http2Fields(h2, true);
  }

  /** True for a request's view ({@link #request}). */
  boolean hostIsAuthority() {
    return hostIsAuthority;
  }

  /** True when {@code lowerCaseName} is {@code host} in a request's view. */
  private boolean isHost(CharSequence lowerCaseName) {
    return hostIsAuthority
        && lowerCaseName.length() == 4
        && AsciiString.contentEquals(lowerCaseName, HOST);
  }

  /** The header block behind this view, pseudo-header fields included. */
  Http2Headers unwrap() {
    return h2;
  }

  /** {@code name} in lower case: itself when it has no upper-case letter (no copy made). */
  static CharSequence lower(CharSequence name) {
    if (name instanceof AsciiString a) {
      // The usual case (the model's name constants, decoded names): its bytes, without a call
      // per character.
      byte[] bytes = a.array();
      for (int i = a.arrayOffset(), end = i + a.length(); i < end; i++) {
        if (bytes[i] >= 'A' && bytes[i] <= 'Z') {
          return a.toLowerCase();
        }
      }
      return a;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c >= 'A' && c <= 'Z') {
        return AsciiString.of(name).toLowerCase();
      }
    }
    return name;
  }

  @Override
  public String get(CharSequence name) {
    CharSequence v = getView(name);
    return v == null ? null : v.toString();
  }

  @Override
  public CharSequence getView(CharSequence name) {
    CharSequence n = lower(name);
    if (isHost(n)) {
      CharSequence authority = h2.get(AUTHORITY);
      return authority != null ? authority : h2.get(HOST);
    }
    return h2.get(n); // the decoded value itself: it does not change
  }

  @Override
  public List<String> getAll(CharSequence name) {
    CharSequence n = lower(name);
    List<CharSequence> values = h2.getAll(n);
    CharSequence authority = isHost(n) ? h2.get(AUTHORITY) : null;
    List<String> out = new ArrayList<>(values.size() + 1);
    if (authority != null) {
      out.add(authority.toString());
    }
    for (CharSequence v : values) {
      out.add(v.toString());
    }
    return out;
  }

  /**
   * As the interface's, without a {@code String} of the value: the decoded value itself is added
   * under {@code to} (it does not change).
   */
  @Override
  public boolean addFromFirst(CharSequence from, CharSequence to) {
    CharSequence v = getView(from);
    if (v == null) {
      return false;
    }
    add(to, v);
    return true;
  }

  @Override
  public boolean contains(CharSequence name) {
    CharSequence n = lower(name);
    if (isHost(n)) {
      return h2.contains(AUTHORITY) || h2.contains(HOST);
    }
    return h2.contains(n);
  }

  @Override
  public void set(CharSequence name, CharSequence value) {
    CharSequence n = lower(name);
    if (isHost(n)) {
      h2.remove(HOST);
      h2.set(AUTHORITY, Http2Responses.stable(value));
      return;
    }
    h2.set(n, Http2Responses.stable(value));
  }

  @Override
  public void add(CharSequence name, CharSequence value) {
    CharSequence n = lower(name);
    if (isHost(n) && !h2.contains(AUTHORITY)) {
      h2.set(AUTHORITY, Http2Responses.stable(value));
      return;
    }
    h2.add(n, Http2Responses.stable(value));
  }

  @Override
  public void remove(CharSequence name) {
    CharSequence n = lower(name);
    if (isHost(n)) {
      h2.remove(AUTHORITY);
    }
    h2.remove(n);
  }

  /**
   * The number of regular fields (with {@code :authority} in a request's view): the block's size
   * less its pseudo-header fields, which Netty's {@link DefaultHttp2Headers} keeps ahead of the
   * others (so only those are walked there).
   */
  @Override
  public int size() {
    int n = h2.size();
    boolean pseudoFirst = h2 instanceof DefaultHttp2Headers;
    for (Map.Entry<CharSequence, CharSequence> field : h2) {
      CharSequence name = field.getKey();
      if (isPseudo(name)) {
        if (!(hostIsAuthority && AsciiString.contentEquals(name, AUTHORITY))) {
          n--;
        }
      } else if (pseudoFirst) {
        break;
      }
    }
    return n;
  }

  @Override
  public Iterator<Map.Entry<CharSequence, CharSequence>> iterator() {
    return new Regular(h2.iterator(), hostIsAuthority);
  }

  private static boolean isPseudo(CharSequence name) {
    return name.length() > 0 && name.charAt(0) == ':';
  }

  /**
   * The fields of a block without its pseudo-header fields; with {@code hostIsAuthority}, {@code
   * :authority} is one of them, named {@code host}.
   */
  private static final class Regular implements Iterator<Map.Entry<CharSequence, CharSequence>> {
    private final Iterator<Map.Entry<CharSequence, CharSequence>> all;
    private final boolean hostIsAuthority;
    private Map.Entry<CharSequence, CharSequence> next;

    Regular(Iterator<Map.Entry<CharSequence, CharSequence>> all, boolean hostIsAuthority) {
      this.all = all;
      this.hostIsAuthority = hostIsAuthority;
      advance();
    }

    private void advance() {
      next = null;
      while (all.hasNext()) {
        Map.Entry<CharSequence, CharSequence> e = all.next();
        CharSequence name = e.getKey();
        if (!isPseudo(name)) {
          next = e;
          return;
        }
        if (hostIsAuthority && AsciiString.contentEquals(name, AUTHORITY)) {
          next = new AbstractMap.SimpleImmutableEntry<>(HOST, e.getValue());
          return;
        }
      }
    }

    @Override
    public boolean hasNext() {
      return next != null;
    }

    @Override
    public Map.Entry<CharSequence, CharSequence> next() {
      Map.Entry<CharSequence, CharSequence> e = next;
      if (e == null) {
        throw new NoSuchElementException();
      }
      advance();
      return e;
    }
  }
}
