package io.canaryproxy.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An independent, strict reader of the byte stream a backend received (RFC 9112): it is the oracle
 * of the framing tests, so it shares no code with Netty's codec. It accepts only what has exactly
 * one reading: no bare CR or LF, no obs-fold, no whitespace before a colon, no control character in
 * a field, one {@code Host}, at most one {@code Content-Length} of plain digits, {@code
 * Transfer-Encoding} only as exactly {@code chunked} and never beside {@code Content-Length}, and
 * no byte after the last complete message ({@link #parseAll}).
 */
public final class StrictRequestParser {
  /** How a request's body was delimited (RFC 9112 §6.3). */
  public enum Framing {
    NONE,
    CONTENT_LENGTH,
    CHUNKED
  }

  /** One header or trailer field as it appeared on the wire (value without surrounding OWS). */
  public record Field(String name, String value) {}

  /** One complete request of the stream. */
  public record Request(
      String method,
      String target,
      String version,
      List<Field> headers,
      byte[] body,
      Framing framing,
      List<Field> trailers) {
    /** Every value of {@code name} (case-insensitive), in order. */
    public List<String> all(String name) {
      List<String> values = new ArrayList<>();
      for (Field f : headers) {
        if (f.name().equalsIgnoreCase(name)) {
          values.add(f.value());
        }
      }
      return values;
    }

    /** The only value of {@code name}, or {@code null}; fails when it occurs more than once. */
    public String header(String name) {
      List<String> values = all(name);
      if (values.size() > 1) {
        throw new AssertionError(name + " occurs " + values.size() + " times: " + values);
      }
      return values.isEmpty() ? null : values.get(0);
    }

    public String bodyText() {
      return new String(body, StandardCharsets.ISO_8859_1);
    }

    @Override
    public String toString() {
      return method + " " + target + " " + version + " " + framing + " body=" + body.length;
    }
  }

  /** A stream that breaks RFC 9112, or that has more than one reading. */
  public static final class StrictParseException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StrictParseException(int offset, String problem) {
      super(problem + " at byte " + offset);
    }
  }

  /**
   * The complete requests at the start of a stream, how many bytes they take, and {@code error}
   * when what follows them can never become a valid request ({@code null} while it may just be
   * incomplete).
   */
  public record Prefix(List<Request> requests, int consumed, String error) {}

  private static final class Incomplete extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Incomplete() {
      super(null, null, false, false);
    }
  }

  private static final int MAX_CHUNK_SIZE_DIGITS = 15; // below Long.MAX_VALUE, with no overflow

  private final byte[] in;
  private int pos;

  private StrictRequestParser(byte[] in) {
    this.in = in;
  }

  /** Every request of a complete stream; throws {@link StrictParseException} on anything else. */
  public static List<Request> parseAll(byte[] stream) {
    Prefix prefix = parsePrefix(stream);
    if (prefix.error() != null) {
      throw new StrictParseException(prefix.consumed(), prefix.error());
    }
    if (prefix.consumed() != stream.length) {
      throw new StrictParseException(
          prefix.consumed(),
          (stream.length - prefix.consumed()) + " bytes after the last complete request");
    }
    return prefix.requests();
  }

  /** The complete requests at the start of {@code stream}; never throws. */
  public static Prefix parsePrefix(byte[] stream) {
    StrictRequestParser p = new StrictRequestParser(stream);
    List<Request> requests = new ArrayList<>();
    int consumed = 0;
    while (consumed < stream.length) {
      p.pos = consumed;
      try {
        requests.add(p.request());
        consumed = p.pos;
      } catch (Incomplete e) {
        return new Prefix(requests, consumed, null);
      } catch (StrictParseException e) {
        return new Prefix(requests, consumed, e.getMessage());
      }
    }
    return new Prefix(requests, consumed, null);
  }

  private Request request() {
    String method = token(' ');
    expect(' ');
    int start = pos;
    while (peek() != ' ') {
      int b = next() & 0xff;
      if (b <= 0x20 || b >= 0x7f) {
        throw fail("invalid byte 0x" + Integer.toHexString(b) + " in the request-target");
      }
    }
    if (pos == start) {
      throw fail("empty request-target");
    }
    String target = ascii(start, pos);
    expect(' ');
    String version = ascii(pos, need(8));
    if (!version.matches("HTTP/[0-9]\\.[0-9]")) {
      throw fail("invalid HTTP-version " + version);
    }
    pos += 8;
    crlf();
    List<Field> headers = fields();
    Framing framing = framing(headers, version);
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    List<Field> trailers = List.of();
    if (framing == Framing.CONTENT_LENGTH) {
      long length = Long.parseLong(single(headers, "content-length"));
      if (length > Integer.MAX_VALUE - 16) {
        throw fail("Content-Length too large for a test: " + length);
      }
      int end = need((int) length);
      body.write(in, pos, end - pos);
      pos = end;
    } else if (framing == Framing.CHUNKED) {
      trailers = chunks(body);
    }
    return new Request(method, target, version, headers, body.toByteArray(), framing, trailers);
  }

  private Framing framing(List<Field> headers, String version) {
    int hosts = count(headers, "host");
    if (hosts > 1 || (hosts == 0 && version.equals("HTTP/1.1"))) {
      throw fail(hosts + " Host fields");
    }
    int lengths = count(headers, "content-length");
    int codings = count(headers, "transfer-encoding");
    if (lengths > 0 && codings > 0) {
      throw fail("both Content-Length and Transfer-Encoding");
    }
    if (lengths > 1) {
      throw fail(lengths + " Content-Length fields");
    }
    if (codings > 1) {
      throw fail(codings + " Transfer-Encoding fields");
    }
    if (lengths == 1) {
      String value = single(headers, "content-length");
      if (!value.matches("[0-9]{1,18}")) {
        throw fail("invalid Content-Length " + value);
      }
      return Framing.CONTENT_LENGTH;
    }
    if (codings == 1) {
      if (!version.equals("HTTP/1.1")) {
        throw fail("Transfer-Encoding in " + version);
      }
      if (!single(headers, "transfer-encoding").equalsIgnoreCase("chunked")) {
        throw fail("Transfer-Encoding other than exactly chunked");
      }
      return Framing.CHUNKED;
    }
    return Framing.NONE;
  }

  private List<Field> chunks(ByteArrayOutputStream body) {
    while (true) {
      int start = pos;
      long size = 0;
      while (isHex(peek())) {
        if (pos - start == MAX_CHUNK_SIZE_DIGITS) {
          throw fail("chunk-size over " + MAX_CHUNK_SIZE_DIGITS + " hex digits");
        }
        size = size * 16 + Character.digit(next(), 16);
      }
      if (pos == start) {
        throw fail("missing chunk-size");
      }
      while (peek() == ';') { // chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )
        next();
        token('=');
        if (peek() == '=') {
          next();
          token('\r');
        }
      }
      crlf();
      if (size == 0) {
        return fields();
      }
      if (size > Integer.MAX_VALUE - 16) {
        throw fail("chunk too large for a test: " + size);
      }
      int end = need((int) size);
      body.write(in, pos, end - pos);
      pos = end;
      crlf();
    }
  }

  /** Field lines up to and including the empty line that ends them. */
  private List<Field> fields() {
    List<Field> fields = new ArrayList<>();
    while (true) {
      byte b = peek();
      if (b == '\r') {
        crlf();
        return fields;
      }
      if (b == ' ' || b == '\t') {
        throw fail("obs-fold or whitespace at the start of a field line");
      }
      String name = token(':');
      expect(':');
      while (peek() == ' ' || peek() == '\t') {
        next();
      }
      int start = pos;
      int end = pos;
      while (peek() != '\r') {
        int c = next() & 0xff;
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
          throw fail("control byte 0x" + Integer.toHexString(c) + " in field " + name);
        }
        if (c != ' ' && c != '\t') {
          end = pos;
        }
      }
      crlf();
      fields.add(new Field(name, new String(in, start, end - start, StandardCharsets.ISO_8859_1)));
    }
  }

  /** A non-empty token, stopping before {@code delimiter}; any other byte is an error. */
  private String token(char delimiter) {
    int start = pos;
    while (peek() != delimiter) {
      byte b = next();
      if (!isTchar(b)) {
        throw fail("invalid byte 0x" + Integer.toHexString(b & 0xff) + " in a token");
      }
    }
    if (pos == start) {
      throw fail("empty token");
    }
    return ascii(start, pos);
  }

  private static boolean isTchar(byte b) {
    return (b >= '0' && b <= '9')
        || (b >= 'a' && b <= 'z')
        || (b >= 'A' && b <= 'Z')
        || "!#$%&'*+-.^_`|~".indexOf(b) >= 0;
  }

  private static boolean isHex(byte b) {
    return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
  }

  private static int count(List<Field> fields, String name) {
    int n = 0;
    for (Field f : fields) {
      if (f.name().equalsIgnoreCase(name)) {
        n++;
      }
    }
    return n;
  }

  private static String single(List<Field> fields, String name) {
    for (Field f : fields) {
      if (f.name().toLowerCase(Locale.ROOT).equals(name)) {
        return f.value();
      }
    }
    return null;
  }

  private void crlf() {
    expect('\r');
    expect('\n');
  }

  private void expect(char c) {
    byte b = next();
    if (b != c) {
      pos--;
      throw fail(
          "expected 0x" + Integer.toHexString(c) + ", got 0x" + Integer.toHexString(b & 0xff));
    }
  }

  private byte peek() {
    if (pos >= in.length) {
      throw new Incomplete();
    }
    return in[pos];
  }

  private byte next() {
    byte b = peek();
    pos++;
    return b;
  }

  /** The end offset of the next {@code n} bytes; they must all have arrived. */
  private int need(int n) {
    if (in.length - pos < n) {
      throw new Incomplete();
    }
    return pos + n;
  }

  private String ascii(int from, int to) {
    return new String(in, from, to - from, StandardCharsets.ISO_8859_1);
  }

  private StrictParseException fail(String problem) {
    return new StrictParseException(pos, problem);
  }
}
