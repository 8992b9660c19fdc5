package io.canaryproxy.mirroring;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.canaryproxy.config.MirrorConfig.CompareConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Compares two {@link ResponseDigest}s part by part. Bodies are equal when their length and CRC32C
 * are equal; with {@code compare.json} on and both bodies parsing as JSON, they are compared as
 * JSON trees after the {@code compare.ignoreFields} paths are removed from both. A path is {@code
 * $} followed by {@code .name} or {@code [*]} steps, e.g. {@code $.timestamp}, {@code $.a.b},
 * {@code $.items[*].id}. Thread-safe.
 */
final class ResponseComparator {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final List<String> headerNames;
  private final List<List<String>> ignore = new ArrayList<>();

  ResponseComparator(CompareConfig config) {
    this.headerNames = config.headers();
    for (String path : config.ignoreFields()) {
      ignore.add(parsePath(path));
    }
  }

  /** Splits {@code $.a.b[*].c} into steps {@code a, b, [*], c}. */
  static List<String> parsePath(String path) {
    List<String> steps = new ArrayList<>();
    int i = path.startsWith("$") ? 1 : 0;
    StringBuilder name = new StringBuilder();
    for (; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == '.' || c == '[') {
        if (name.length() > 0) {
          steps.add(name.toString());
          name.setLength(0);
        }
        if (c == '[') {
          int close = path.indexOf(']', i);
          int end = close < 0 ? path.length() : close;
          steps.add("[" + path.substring(i + 1, end) + "]");
          i = end;
        }
      } else {
        name.append(c);
      }
    }
    if (name.length() > 0) {
      steps.add(name.toString());
    }
    return steps;
  }

  ComparisonResult compare(ResponseDigest primary, ResponseDigest other) {
    StringBuilder detail = new StringBuilder();
    boolean statusMatch = primary.status() == other.status();
    if (!statusMatch) {
      detail.append("status ").append(primary.status()).append(" vs ").append(other.status());
    }
    // A gRPC call's outcome is its grpc-status: HTTP 200 both sides says nothing.
    String ga = primary.grpcStatus();
    String gb = other.grpcStatus();
    if (ga == null ? gb != null : !ga.equals(gb)) {
      statusMatch = false;
      separate(detail).append("grpc-status ").append(ga).append(" vs ").append(gb);
    }
    boolean headersMatch = true;
    for (int i = 0; i < headerNames.size(); i++) {
      String a = primary.headerValue(i);
      String b = other.headerValue(i);
      if (a == null ? b != null : !a.equals(b)) {
        headersMatch = false;
        separate(detail).append("header ").append(headerNames.get(i));
      }
    }
    ComparisonResult.Body body = compareBodies(primary, other, detail);
    return new ComparisonResult(statusMatch, headersMatch, body, detail.toString());
  }

  private ComparisonResult.Body compareBodies(
      ResponseDigest a, ResponseDigest b, StringBuilder detail) {
    if (a.tooLarge() || b.tooLarge()) {
      return ComparisonResult.Body.SKIPPED;
    }
    byte[] ja = a.jsonBytes();
    byte[] jb = b.jsonBytes();
    if (ja != null && jb != null) {
      JsonNode na = parse(ja);
      JsonNode nb = parse(jb);
      if (na != null && nb != null) {
        for (List<String> path : ignore) {
          remove(na, path, 0);
          remove(nb, path, 0);
        }
        String diff = firstDifference(na, nb, "$");
        if (diff == null) {
          return ComparisonResult.Body.MATCH;
        }
        separate(detail).append("body json at ").append(diff);
        return ComparisonResult.Body.MISMATCH;
      }
    }
    if (a.length() == b.length() && a.crc() == b.crc()) {
      return ComparisonResult.Body.MATCH;
    }
    separate(detail)
        .append("body ")
        .append(a.length())
        .append(" vs ")
        .append(b.length())
        .append(" bytes");
    return ComparisonResult.Body.MISMATCH;
  }

  private static JsonNode parse(byte[] bytes) {
    try {
      return JSON.readTree(bytes);
    } catch (IOException e) {
      return null;
    }
  }

  /** Removes the node at {@code path[step..]} below {@code node}, wherever {@code [*]} fans out. */
  static void remove(JsonNode node, List<String> path, int step) {
    if (node == null || step >= path.size()) {
      return;
    }
    String s = path.get(step);
    boolean lastStep = step == path.size() - 1;
    if (s.startsWith("[")) {
      if (!(node instanceof ArrayNode array)) {
        return;
      }
      String index = s.substring(1, s.length() - 1);
      if (index.equals("*")) {
        if (lastStep) {
          array.removeAll();
        } else {
          for (JsonNode child : array) {
            remove(child, path, step + 1);
          }
        }
        return;
      }
      int i = parseIndex(index);
      if (i >= 0 && i < array.size()) {
        if (lastStep) {
          array.remove(i);
        } else {
          remove(array.get(i), path, step + 1);
        }
      }
      return;
    }
    if (node instanceof ObjectNode object) {
      if (lastStep) {
        object.remove(s);
      } else {
        remove(object.get(s), path, step + 1);
      }
    }
  }

  private static int parseIndex(String s) {
    try {
      return Integer.parseInt(s.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * The path of the first place where the trees differ, or {@code null} when they are equal. Names
   * only.
   */
  static String firstDifference(JsonNode a, JsonNode b, String at) {
    if (a.equals(b)) {
      return null;
    }
    if (a.isObject() && b.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> it = a.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        JsonNode other = b.get(e.getKey());
        if (other == null) {
          return at + "." + e.getKey();
        }
        String d = firstDifference(e.getValue(), other, at + "." + e.getKey());
        if (d != null) {
          return d;
        }
      }
      Iterator<String> names = b.fieldNames();
      while (names.hasNext()) {
        String name = names.next();
        if (!a.has(name)) {
          return at + "." + name;
        }
      }
      return at;
    }
    if (a.isArray() && b.isArray() && a.size() == b.size()) {
      for (int i = 0; i < a.size(); i++) {
        String d = firstDifference(a.get(i), b.get(i), at + "[" + i + "]");
        if (d != null) {
          return d;
        }
      }
    }
    return at;
  }

  private static StringBuilder separate(StringBuilder sb) {
    if (sb.length() > 0) {
      sb.append("; ");
    }
    return sb;
  }
}
