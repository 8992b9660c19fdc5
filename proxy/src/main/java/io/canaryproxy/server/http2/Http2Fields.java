package io.canaryproxy.server.http2;

import io.canaryproxy.http.Headers;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
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
 * with the changes made through this view. Event-loop only.
 */
final class Http2Fields implements Headers {
  private final Http2Headers h2;

  Http2Fields(Http2Headers h2) {
    this.h2 = h2;
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
    CharSequence v = h2.get(lower(name));
    return v == null ? null : v.toString();
  }

  @Override
  public CharSequence getView(CharSequence name) {
    return h2.get(lower(name)); // the decoded value itself: it does not change
  }

  @Override
  public List<String> getAll(CharSequence name) {
    List<CharSequence> values = h2.getAll(lower(name));
    List<String> out = new ArrayList<>(values.size());
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
    CharSequence v = h2.get(lower(from));
    if (v == null) {
      return false;
    }
    h2.add(lower(to), Http2Responses.stable(v));
    return true;
  }

  @Override
  public boolean contains(CharSequence name) {
    return h2.contains(lower(name));
  }

  @Override
  public void set(CharSequence name, CharSequence value) {
    h2.set(lower(name), Http2Responses.stable(value));
  }

  @Override
  public void add(CharSequence name, CharSequence value) {
    h2.add(lower(name), Http2Responses.stable(value));
  }

  @Override
  public void remove(CharSequence name) {
    h2.remove(lower(name));
  }

  /**
   * The number of regular fields: the block's size less its pseudo-header fields, which Netty's
   * {@link DefaultHttp2Headers} keeps ahead of the others (so only those are walked there).
   */
  @Override
  public int size() {
    int n = h2.size();
    boolean pseudoFirst = h2 instanceof DefaultHttp2Headers;
    for (Map.Entry<CharSequence, CharSequence> field : h2) {
      if (isPseudo(field.getKey())) {
        n--;
      } else if (pseudoFirst) {
        break;
      }
    }
    return n;
  }

  @Override
  public Iterator<Map.Entry<CharSequence, CharSequence>> iterator() {
    return new Regular(h2.iterator());
  }

  private static boolean isPseudo(CharSequence name) {
    return name.length() > 0 && name.charAt(0) == ':';
  }

  /** The fields of a block without its pseudo-header fields. */
  private static final class Regular implements Iterator<Map.Entry<CharSequence, CharSequence>> {
    private final Iterator<Map.Entry<CharSequence, CharSequence>> all;
    private Map.Entry<CharSequence, CharSequence> next;

    Regular(Iterator<Map.Entry<CharSequence, CharSequence>> all) {
      this.all = all;
      advance();
    }

    private void advance() {
      next = null;
      while (all.hasNext()) {
        Map.Entry<CharSequence, CharSequence> e = all.next();
        if (!isPseudo(e.getKey())) {
          next = e;
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
