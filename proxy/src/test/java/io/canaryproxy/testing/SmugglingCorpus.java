package io.canaryproxy.testing;

import io.canaryproxy.testing.StrictRequestParser.Framing;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Hostile and borderline request streams (RFC 9112 framing, request smuggling patterns: CL.TE,
 * TE.CL, Transfer-Encoding obfuscations, Connection-nominated framing fields, chunk-size tricks,
 * control bytes), each with the outcome the proxy must produce. Used by {@code SmugglingCorpusIT}
 * over sockets and as the seed corpus of the request-path fuzz test.
 */
public final class SmugglingCorpus {
  private SmugglingCorpus() {}

  /** What the proxy must do with a case. */
  public enum Outcome {
    /** Every request is answered by the backend and forwarded exactly as {@link Case#forwarded}. */
    ACCEPT,
    /** Answered {@link Case#status} by the proxy, the connection closed, nothing forwarded. */
    REJECT,
    /** Either of the two (the RFC leaves the choice); forwarding must still be strict. */
    EITHER
  }

  /** A request the backend must receive: method, target, body and the proxy's framing of it. */
  public record Forwarded(String method, String target, String body, Framing framing) {}

  /**
   * One input. {@code checks} apply to the first forwarded request: {@code "name: value"} requires
   * exactly that value, {@code "!name"} requires the field to be absent.
   */
  public record Case(
      String name,
      String raw,
      Outcome outcome,
      int status,
      List<Forwarded> forwarded,
      List<String> checks) {
    Case expect(String... more) {
      List<String> all = new ArrayList<>(checks);
      all.addAll(Arrays.asList(more));
      return new Case(name, raw, outcome, status, forwarded, all);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /** A smuggled request head of exactly 64 bytes, declaring 80 bytes of body it never sends. */
  public static final String INNER =
      "POST /SMUGGLED-capture HTTP/1.1\r\nHost: x\r\nContent-Length: 80\r\n\r\n";

  static final String CANARY_INNER =
      "GET /SMUGGLED-canary HTTP/1.1\r\nHost: x\r\nx-canary: canary\r\n\r\n";
  static final String XFF_INNER =
      "GET /SMUGGLED-xff HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 10.9.9.9\r\n\r\n";

  private static final String H = " HTTP/1.1\r\nHost: x\r\n";

  public static List<Case> cases() {
    List<Case> c = new ArrayList<>();
    // R1: a Connection header naming a framing field (or Host, the user key, the override header).
    c.add(
        accept(
            "R1 Connection: Content-Length",
            withLength("POST", "Connection: Content-Length", INNER),
            fwd("POST", "/attacker", INNER, Framing.CONTENT_LENGTH)));
    c.add(
        accept(
            "R1 Connection: keep-alive, Content-Length",
            withLength("POST", "Connection: keep-alive, Content-Length", INNER),
            fwd("POST", "/attacker", INNER, Framing.CONTENT_LENGTH)));
    c.add(
        accept(
            "R1 Connection: CONTENT-LENGTH",
            withLength("POST", "Connection: CONTENT-LENGTH", INNER),
            fwd("POST", "/attacker", INNER, Framing.CONTENT_LENGTH)));
    c.add(
        accept(
            "R1 GET with a body and Connection: Content-Length",
            withLength("GET", "Connection: Content-Length", INNER),
            fwd("GET", "/attacker", INNER, Framing.CONTENT_LENGTH)));
    c.add(
        accept(
            "R1 Connection: transfer-encoding",
            chunked("POST", "Connection: transfer-encoding", INNER),
            fwd("POST", "/attacker", INNER, Framing.CHUNKED)));
    c.add(
        accept(
            "R1 Connection: close, Transfer-Encoding",
            chunked("POST", "Connection: close, Transfer-Encoding", INNER),
            fwd("POST", "/attacker", INNER, Framing.CHUNKED)));
    c.add(
        accept(
            "R1 smuggled x-canary",
            withLength("POST", "Connection: Content-Length", CANARY_INNER),
            fwd("POST", "/attacker", CANARY_INNER, Framing.CONTENT_LENGTH)));
    c.add(
        accept(
            "R1 smuggled X-Forwarded-For",
            withLength("POST", "Connection: content-length", XFF_INNER),
            fwd("POST", "/attacker", XFF_INNER, Framing.CONTENT_LENGTH)));
    c.add(
        accept(
                "R8 Connection: host",
                "GET /h" + H + "Connection: host\r\n\r\n",
                fwd("GET", "/h", "", Framing.NONE))
            .expect("host: x"));
    c.add(
        accept(
                "R1 Connection: x-user-id",
                "GET /u" + H + "x-user-id: u-1\r\nConnection: x-user-id\r\n\r\n",
                fwd("GET", "/u", "", Framing.NONE))
            .expect("x-user-id: u-1"));
    c.add(
        accept(
            "R1 Connection: x-canary",
            "GET /o" + H + "x-canary: stable\r\nConnection: x-canary\r\n\r\n",
            fwd("GET", "/o", "", Framing.NONE)));
    c.add(
        accept(
                "R1 Connection: x-foo removes x-foo",
                "GET /f" + H + "x-foo: 1\r\nConnection: x-foo\r\n\r\n",
                fwd("GET", "/f", "", Framing.NONE))
            .expect("!x-foo", "!connection"));
    // R2: trailers stay at the proxy.
    c.add(
        accept(
            "R2 chunked trailer x-canary",
            "POST /t"
                + H
                + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nx-canary: canary\r\n\r\n",
            fwd("POST", "/t", "abc", Framing.CHUNKED)));
    c.add(
        accept(
            "R2 trailer naming Content-Length",
            "POST /t"
                + H
                + "Transfer-Encoding: chunked\r\nTrailer: Content-Length\r\n\r\n3\r\nabc\r\n0\r\nContent-Length: 99\r\n\r\n",
            fwd("POST", "/t", "abc", Framing.CHUNKED)));
    // Well-formed baselines.
    c.add(accept("plain GET", "GET /plain" + H + "\r\n", fwd("GET", "/plain", "", Framing.NONE)));
    c.add(
        accept(
            "POST with Content-Length",
            "POST /cl" + H + "Content-Length: 5\r\n\r\nhello",
            fwd("POST", "/cl", "hello", Framing.CONTENT_LENGTH)));
    c.add(
        accept(
            "POST with Content-Length: 0",
            "POST /zero" + H + "Content-Length: 0\r\n\r\n",
            fwd("POST", "/zero", "", Framing.CONTENT_LENGTH)));
    c.add(
        accept(
            "chunked POST",
            "POST /ch" + H + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1\r\n!\r\n0\r\n\r\n",
            fwd("POST", "/ch", "hello!", Framing.CHUNKED)));
    c.add(
        accept(
            "chunk extensions",
            "POST /ext" + H + "Transfer-Encoding: chunked\r\n\r\n3;a=b;c\r\nabc\r\n0;z\r\n\r\n",
            fwd("POST", "/ext", "abc", Framing.CHUNKED)));
    c.add(
        accept(
            "Transfer-Encoding: CHUNKED with tab OWS",
            "POST /tab" + H + "Transfer-Encoding:\tCHUNKED\t\r\n\r\n1\r\na\r\n0\r\n\r\n",
            fwd("POST", "/tab", "a", Framing.CHUNKED)));
    c.add(
        accept(
            "upper-case hex chunk size",
            "POST /hex" + H + "Transfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n",
            fwd("POST", "/hex", "0123456789", Framing.CHUNKED)));
    c.add(
        accept(
            "pipelined GET then POST",
            "GET /p1" + H + "\r\nPOST /p2" + H + "Content-Length: 2\r\n\r\nok",
            fwd("GET", "/p1", "", Framing.NONE),
            fwd("POST", "/p2", "ok", Framing.CONTENT_LENGTH)));
    c.add(
        accept(
            "HTTP/1.0 POST",
            "POST /old HTTP/1.0\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
            fwd("POST", "/old", "abc", Framing.CONTENT_LENGTH)));
    // CL.TE, TE.CL and Transfer-Encoding obfuscations.
    c.add(
        reject(
            "CL.TE",
            "POST /a" + H + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG",
            400));
    c.add(
        reject(
            "TE.CL",
            "POST /a"
                + H
                + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n",
            400));
    c.add(
        reject("TE xchunked", "POST /a" + H + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 400));
    c.add(
        reject(
            "TE chunked, identity",
            "POST /a" + H + "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
            400));
    c.add(
        reject(
            "TE chunked then TE identity",
            "POST /a"
                + H
                + "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n",
            400));
    c.add(
        reject(
            "TE with space before colon",
            "POST /a" + H + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
            400));
    c.add(
        reject(
            "TE with vertical tab",
            "POST /a" + H + "Transfer-Encoding:\u000bchunked\r\n\r\n0\r\n\r\n",
            400));
    c.add(
        reject(
            "TE obs-folded",
            "POST /a" + H + "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n",
            400));
    c.add(
        reject(
            "TE quoted", "POST /a" + H + "Transfer-Encoding: \"chunked\"\r\n\r\n0\r\n\r\n", 400));
    c.add(
        either(
            "TE identity, chunked",
            "POST /a" + H + "Transfer-Encoding: identity, chunked\r\n\r\n1\r\na\r\n0\r\n\r\n"));
    c.add(
        either(
            "TE in HTTP/1.0",
            "POST /a HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n"));
    // Chunk-size tricks (the head may already be on its way; no complete request may arrive).
    c.add(
        reject(
            "chunk-size overflow",
            "POST /a"
                + H
                + "Transfer-Encoding: chunked\r\n\r\n10000000000000000000001\r\na\r\n0\r\n\r\n",
            400));
    c.add(
        reject(
            "chunk-size 0x prefix",
            "POST /a" + H + "Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n",
            400));
    c.add(
        reject(
            "negative chunk-size",
            "POST /a" + H + "Transfer-Encoding: chunked\r\n\r\n-1\r\na\r\n0\r\n\r\n",
            400));
    c.add(
        reject(
            "chunk longer than its size",
            "POST /a" + H + "Transfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n",
            400));
    c.add(
        either(
            "chunk-size with trailing space",
            "POST /a" + H + "Transfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n"));
    c.add(
        either(
            "bare LF in chunked body",
            "POST /a" + H + "Transfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n"));
    // R4: bytes a request-target may not hold.
    c.add(reject("R4 NUL in target", "GET /a\u0000b" + H + "\r\n", 400));
    c.add(reject("R4 CTL in target", "GET /a\u0001b" + H + "\r\n", 400));
    c.add(reject("R4 DEL in target", "GET /a\u007fb" + H + "\r\n", 400));
    c.add(reject("R4 byte 0x80 in target", "GET /a\u0080b" + H + "\r\n", 400));
    c.add(reject("R4 byte 0xff in target", "GET /\u00ff" + H + "\r\n", 400));
    c.add(reject("R4 tab in target", "GET /a\tb" + H + "\r\n", 400));
    // R5: more than one Content-Length, or a list, in any version.
    c.add(
        reject(
            "R5 Content-Length list of equal values",
            "POST /a" + H + "Content-Length: 3, 3\r\n\r\nabc",
            400));
    c.add(
        reject(
            "R5 HTTP/1.0 two different Content-Length",
            "POST /a HTTP/1.0\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 40\r\n\r\nabc",
            400));
    c.add(
        reject(
            "R5 HTTP/1.0 two equal Content-Length",
            "POST /a HTTP/1.0\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
            400));
    c.add(
        reject(
            "R5 HTTP/1.0 Content-Length list",
            "POST /a HTTP/1.0\r\nContent-Length: 3,3\r\n\r\nabc",
            400));
    c.add(
        reject(
            "Content-Length with plus sign", "POST /a" + H + "Content-Length: +3\r\n\r\nabc", 400));
    c.add(reject("Content-Length in hex", "POST /a" + H + "Content-Length: 0x3\r\n\r\nabc", 400));
    c.add(
        reject(
            "Content-Length overflow",
            "POST /a" + H + "Content-Length: 184467440737095516160\r\n\r\nabc",
            400));
    c.add(
        reject(
            "Content-Length with space before colon",
            "POST /a" + H + "Content-Length : 3\r\n\r\nabc",
            400));
    // R6: Host must be uri-host[:port].
    c.add(reject("R6 Host with a space", "GET /a HTTP/1.1\r\nHost: a b\r\n\r\n", 400));
    c.add(reject("R6 Host with a slash", "GET /a HTTP/1.1\r\nHost: a/b\r\n\r\n", 400));
    c.add(reject("R6 Host with userinfo", "GET /a HTTP/1.1\r\nHost: u@a\r\n\r\n", 400));
    c.add(reject("R6 Host with a bad port", "GET /a HTTP/1.1\r\nHost: a:b\r\n\r\n", 400));
    c.add(reject("missing Host", "GET /a HTTP/1.1\r\n\r\n", 400));
    c.add(reject("two Host fields", "GET /a HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400));
    // R7: the version is exactly HTTP/1.0 or HTTP/1.1.
    c.add(reject("R7 lower-case version", "GET /a http/1.1\r\nHost: x\r\n\r\n", 400));
    c.add(reject("R7 HTTP/1.2", "GET /a HTTP/1.2\r\nHost: x\r\n\r\n", 505));
    c.add(reject("R7 HTTP/2.0", "GET /a HTTP/2.0\r\nHost: x\r\n\r\n", 505));
    // R3: CONNECT is not proxied.
    c.add(
        reject(
            "R3 CONNECT",
            "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
            501));
    // Control bytes in fields.
    c.add(reject("NUL in a header value", "GET /a" + H + "X-A: a\u0000b\r\n\r\n", 400));
    c.add(reject("NUL in a header name", "GET /a" + H + "X-\u0000A: b\r\n\r\n", 400));
    c.add(reject("CR inside a header value", "GET /a" + H + "X-A: a\rb\r\n\r\n", 400));
    c.add(reject("bare LF between fields", "GET /a" + H + "X-A: a\nX-B: b\r\n\r\n", 400));
    c.add(
        reject(
            "unknown expectation",
            "POST /a" + H + "Expect: 100-continue-please\r\nContent-Length: 1\r\n\r\na",
            417));
    // Absolute form: legitimate (RFC 9112 §3.2.2); forwarded once, with strict framing.
    c.add(either("absolute-form target", "GET http://x/abs HTTP/1.1\r\nHost: x\r\n\r\n"));
    return c;
  }

  /** A request with a body of {@code body} declared by Content-Length; target {@code /attacker}. */
  static String withLength(String method, String connection, String body) {
    return method
        + " /attacker"
        + H
        + connection
        + "\r\nContent-Length: "
        + body.length()
        + "\r\n\r\n"
        + body;
  }

  /** A request with {@code body} as one chunk; target {@code /attacker}. */
  static String chunked(String method, String connection, String body) {
    return method
        + " /attacker"
        + H
        + connection
        + "\r\nTransfer-Encoding: chunked\r\n\r\n"
        + Integer.toHexString(body.length())
        + "\r\n"
        + body
        + "\r\n0\r\n\r\n";
  }

  static Forwarded fwd(String method, String target, String body, Framing framing) {
    return new Forwarded(method, target, body, framing);
  }

  static Case accept(String name, String raw, Forwarded... forwarded) {
    return new Case(name, raw, Outcome.ACCEPT, 200, List.of(forwarded), List.of());
  }

  static Case reject(String name, String raw, int status) {
    return new Case(name, raw, Outcome.REJECT, status, List.of(), List.of());
  }

  static Case either(String name, String raw) {
    return new Case(name, raw, Outcome.EITHER, 0, List.of(), List.of());
  }
}
