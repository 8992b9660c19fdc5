package io.canaryproxy.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One YAML mapping being read into a record, with its path and the shared error list. Every getter
 * returns its default after recording an error, so one pass over a config collects every error at
 * once.
 */
final class YamlMap {
  private final ObjectNode node;
  private final String path;
  private final List<String> errors;

  private YamlMap(ObjectNode node, String path, List<String> errors) {
    this.node = node;
    this.path = path;
    this.errors = errors;
  }

  /**
   * Wraps {@code node} (absent or null means an empty mapping) and reports keys outside {@code
   * keys}.
   */
  static YamlMap of(JsonNode node, String path, List<String> errors, String... keys) {
    if (node == null || node.isMissingNode() || node.isNull()) {
      return new YamlMap(JsonNodeFactory.instance.objectNode(), path, errors);
    }
    if (!node.isObject()) {
      errors.add(
          path
              + ": "
              + show(node)
              + " (expected: a mapping with keys "
              + String.join(", ", keys)
              + ")");
      return new YamlMap(JsonNodeFactory.instance.objectNode(), path, errors);
    }
    Iterator<String> names = node.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!List.of(keys).contains(name)) {
        errors.add(
            child(path, name) + ": unknown key (expected: one of " + String.join(", ", keys) + ")");
      }
    }
    return new YamlMap((ObjectNode) node, path, errors);
  }

  /** Wraps a mapping whose keys are names chosen by the user, so none is unknown. */
  static YamlMap open(JsonNode node, String path, List<String> errors) {
    return new YamlMap((ObjectNode) node, path, errors);
  }

  static String child(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** A short rendering of a YAML value for an error message: strings quoted, long values cut. */
  static String show(JsonNode value) {
    String s = value.toString();
    return s.length() > 80 ? s.substring(0, 77) + "..." : s;
  }

  String path() {
    return path;
  }

  String path(String key) {
    return child(path, key);
  }

  List<String> errors() {
    return errors;
  }

  /** Present and not null. */
  boolean has(String key) {
    JsonNode v = node.get(key);
    return v != null && !v.isNull();
  }

  /** Present, possibly as an empty ({@code null}) value. */
  boolean declared(String key) {
    return node.has(key);
  }

  JsonNode raw(String key) {
    return node.get(key);
  }

  void error(String key, String message) {
    errors.add(path(key) + ": " + message);
  }

  void invalid(String key, String expected) {
    error(key, show(node.get(key)) + " (expected: " + expected + ")");
  }

  void missing(String key, String expected) {
    error(key, "missing (expected: " + expected + ")");
  }

  YamlMap map(String key, String... keys) {
    return of(node.get(key), path(key), errors, keys);
  }

  List<Map.Entry<String, JsonNode>> entries() {
    List<Map.Entry<String, JsonNode>> out = new ArrayList<>(node.size());
    node.fields().forEachRemaining(out::add);
    return out;
  }

  String string(String key, String def) {
    if (!has(key)) {
      return def;
    }
    JsonNode v = node.get(key);
    if (!v.isTextual()) {
      // YAML reads 42, 1.10, 0123 or true as numbers and booleans, which would not round-trip as
      // text
      invalid(key, v.isValueNode() ? "a string; quote it" : "a string");
      return def;
    }
    return v.asText();
  }

  /** A non-empty string, or {@code null} after reporting it missing. */
  String requiredString(String key, String expected) {
    if (!has(key)) {
      missing(key, expected);
      return null;
    }
    String s = string(key, null);
    if (s != null && s.isEmpty()) {
      invalid(key, expected);
      return null;
    }
    return s;
  }

  boolean bool(String key, boolean def) {
    if (!has(key)) {
      return def;
    }
    JsonNode v = node.get(key);
    if (!v.isBoolean()) {
      invalid(key, "true or false");
      return def;
    }
    return v.booleanValue();
  }

  long integer(String key, long def, long min, long max) {
    if (!has(key)) {
      return def;
    }
    JsonNode v = node.get(key);
    String range = min + ".." + max;
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      invalid(key, "an integer, " + range);
      return def;
    }
    long n = v.longValue();
    if (n < min || n > max) {
      invalid(key, range);
      return def;
    }
    return n;
  }

  double number(String key, double def, double min, double max, String range) {
    if (!has(key)) {
      return def;
    }
    JsonNode v = node.get(key);
    if (!v.isNumber()) {
      invalid(key, "a number, " + range);
      return def;
    }
    double d = v.doubleValue();
    if (!(d >= min && d <= max)) {
      invalid(key, range);
      return def;
    }
    return d;
  }

  /** A duration such as {@code 10s}; {@code positive} rejects zero. */
  Duration duration(String key, Duration def, boolean positive) {
    if (!has(key)) {
      return def;
    }
    JsonNode v = node.get(key);
    String expected = "a duration such as 500ms, 10s, 2m or 1h";
    if (!v.isTextual()) {
      invalid(key, expected);
      return def;
    }
    try {
      Duration d = Durations.parse(v.asText());
      if (positive && d.isZero()) {
        invalid(key, "a duration > 0");
        return def;
      }
      return d;
    } catch (IllegalArgumentException e) {
      invalid(key, expected);
      return def;
    }
  }

  /** A size in bytes, written as an integer or as {@code 64KiB} / {@code 10MiB} / {@code 1GiB}. */
  long size(String key, long def, long min, long max) {
    if (!has(key)) {
      return def;
    }
    JsonNode v = node.get(key);
    String expected = "a size in bytes such as 1048576, 64KiB or 10MiB";
    long n;
    if (v.isIntegralNumber() && v.canConvertToLong()) {
      n = v.longValue();
    } else if (v.isTextual()) {
      try {
        n = Sizes.parse(v.asText());
      } catch (IllegalArgumentException e) {
        invalid(key, expected);
        return def;
      }
    } else {
      invalid(key, expected);
      return def;
    }
    if (n < min || n > max) {
      invalid(key, min + ".." + max + " bytes");
      return def;
    }
    return n;
  }

  /** One of {@code values} (lower case in YAML), mapped to the enum constant of the same name. */
  <E extends Enum<E>> E choice(String key, E def, Class<E> type) {
    if (!has(key)) {
      return def;
    }
    JsonNode v = node.get(key);
    StringBuilder names = new StringBuilder();
    for (E e : type.getEnumConstants()) {
      String name = e.name().toLowerCase(Locale.ROOT);
      if (v.isTextual() && v.asText().equals(name)) {
        return e;
      }
      names.append(names.length() == 0 ? "" : " | ").append(name);
    }
    invalid(key, names.toString());
    return def;
  }

  HostPort hostPort(String key, HostPort def) {
    if (!has(key)) {
      return def;
    }
    JsonNode v = node.get(key);
    try {
      if (v.isTextual()) {
        return HostPort.parse(v.asText());
      }
    } catch (IllegalArgumentException e) {
      // reported below
    }
    invalid(key, HostPort.EXPECTED);
    return def;
  }

  Path filePath(String key) {
    String s = string(key, null);
    if (s == null) {
      return null;
    }
    try {
      return Path.of(s);
    } catch (java.nio.file.InvalidPathException e) {
      invalid(key, "a file path");
      return null;
    }
  }

  /** A list of strings; absent gives {@code def}; non-string items are reported and skipped. */
  List<String> strings(String key, List<String> def) {
    if (!has(key)) {
      return def;
    }
    JsonNode v = node.get(key);
    if (!v.isArray()) {
      invalid(key, "a list of strings");
      return def;
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < v.size(); i++) {
      JsonNode item = v.get(i);
      if (item.isTextual()) {
        out.add(item.asText());
      } else {
        errors.add(path(key) + "[" + i + "]: " + show(item) + " (expected: a string)");
      }
    }
    return out;
  }

  /** The items of a list, or an empty list after reporting a non-list. */
  List<JsonNode> list(String key, String expected) {
    if (!has(key)) {
      return List.of();
    }
    JsonNode v = node.get(key);
    if (!v.isArray()) {
      invalid(key, expected);
      return List.of();
    }
    List<JsonNode> out = new ArrayList<>(v.size());
    v.forEach(out::add);
    return out;
  }
}
