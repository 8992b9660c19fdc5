package io.canaryproxy.http;

import java.util.List;
import java.util.Map;

/**
 * The header (or trailer) fields of one message. Names compare case-insensitively; values are kept
 * as received. A protocol adapter implements it over its own representation, so that filling it
 * costs no copy. Event-loop only; not thread-safe.
 */
public interface Headers extends Iterable<Map.Entry<CharSequence, CharSequence>> {
  /** The first value of {@code name}, or {@code null} when absent. */
  String get(CharSequence name);

  /** Every value of {@code name}, in order; empty when absent. */
  List<String> getAll(CharSequence name);

  /**
   * Removes the hop-by-hop fields as the adapter that read these headers found them (by the rules
   * of {@link HopByHop#strip(Headers)}, without looking at every field again) and returns true;
   * returns false, having changed nothing, when it cannot (the generic strip is then made).
   */
  default boolean stripHopByHopAsRead() {
    return false;
  }

  /**
   * As {@link #get}, as a character sequence that an adapter may lend as a view of the bytes
   * received (no string made): valid while this head holds its current message, read it then or
   * copy it ({@code toString()}).
   */
  default CharSequence getView(CharSequence name) {
    return get(name);
  }

  boolean contains(CharSequence name);

  /** Replaces every value of {@code name} with {@code value}. */
  void set(CharSequence name, CharSequence value);

  /** Adds a value to {@code name}, after any existing ones. */
  void add(CharSequence name, CharSequence value);

  /** Removes every value of {@code name}. */
  void remove(CharSequence name);

  /**
   * Adds the first value of {@code from} to {@code to} (after any values {@code to} has) and
   * returns true, or returns false when {@code from} is absent. An adapter may lend the value
   * without making a string of it.
   */
  default boolean addFromFirst(CharSequence from, CharSequence to) {
    String v = get(from);
    if (v == null) {
      return false;
    }
    add(to, v);
    return true;
  }

  /** The number of fields (a name with two values counts twice). */
  int size();

  default boolean isEmpty() {
    return size() == 0;
  }
}
