package io.canaryproxy.server.http1;

import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * Iterates a {@link HeadFields}: the fields kept, then those added, as one reused entry whose name
 * is a view over the head's bytes (valid until the next {@code next()}) and whose value is the
 * field's string (made once). The heads of one connection share one ({@link Http1Head#newIterator})
 * while no iteration holds it. Event-loop only.
 */
final class HeadFieldIterator
    implements Iterator<Map.Entry<CharSequence, CharSequence>>,
        Map.Entry<CharSequence, CharSequence> {
  /** A view of {@code bytes[start, end)} as characters; re-pointed, never copied. */
  private static final class Span implements CharSequence {
    private byte[] b;
    private int start;
    private int length;

    Span at(byte[] b, int start, int end) {
      this.b = b;
      this.start = start;
      this.length = end - start;
      return this;
    }

    @Override
    public int length() {
      return length;
    }

    @Override
    public char charAt(int index) {
      return (char) (b[start + index] & 0xff);
    }

    @Override
    public CharSequence subSequence(int s, int e) {
      return toString().substring(s, e);
    }

    @Override
    @SuppressWarnings("deprecation")
    public String toString() {
      return new String(b, 0, start, length);
    }
  }

  private final Span name = new Span();
  private String value;
  private HeadFields h;
  private CharSequence addedName;
  private CharSequence addedValue;
  private int next;
  private int valueIndex;
  private int nextAdded;

  /** Held by an iteration that has not reached its end. */
  private boolean busy;

  /** True while an iteration holds it: a head then iterates with a new one. */
  boolean busy() {
    return busy;
  }

  HeadFieldIterator start(HeadFields head) {
    h = head;
    busy = true;
    next = 0;
    nextAdded = 0;
    addedName = null;
    skipRemoved();
    return this;
  }

  private void skipRemoved() {
    while (next < h.count && h.removed[next]) {
      next++;
    }
  }

  @Override
  public boolean hasNext() {
    if (next < h.count || nextAdded < h.addedCount) {
      return true;
    }
    busy = false; // done: the next iteration may take it
    return false;
  }

  @Override
  public Map.Entry<CharSequence, CharSequence> next() {
    if (next < h.count) {
      int o = next * HeadFields.SLOTS;
      name.at(h.bytes, h.fields[o + HeadFields.NS], h.fields[o + HeadFields.NE]);
      valueIndex = next;
      value = null;
      addedName = null;
      next++;
      skipRemoved();
      return this;
    }
    if (nextAdded >= h.addedCount) {
      throw new NoSuchElementException();
    }
    addedName = h.added[2 * nextAdded];
    addedValue = h.added[2 * nextAdded + 1];
    nextAdded++;
    return this;
  }

  @Override
  public CharSequence getKey() {
    return addedName != null ? addedName : name;
  }

  @Override
  public CharSequence getValue() {
    if (addedName != null) {
      return addedValue;
    }
    if (value == null) {
      value = h.value(valueIndex); // a string (made once per field): values are kept by copiers
    }
    return value;
  }

  @Override
  public CharSequence setValue(CharSequence v) {
    throw new UnsupportedOperationException();
  }
}
