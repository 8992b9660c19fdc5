package io.canaryproxy.server.http1;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.config.LimitsConfig;
import io.canaryproxy.forwarding.ForwardedHeadReference;
import io.canaryproxy.http.HeaderNames;
import io.canaryproxy.http1.HeadCopy;
import io.canaryproxy.http1.RequestHeadParser;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The head the live path forwards ({@link Http1Head} edited through the exchange model, then
 * written from its bytes) is byte for byte what the old path sent: the same edits on Netty's
 * decoded request, then Netty's encoder ({@link ForwardedHeadReference}).
 */
class Http1HeadTest {
  private static final LimitsConfig LIMITS = new LimitsConfig(8192, 16384, 100, 1 << 20);
  private static final Set<String> KEEP = Set.of("x-user-id", "x-canary");

  @ParameterizedTest
  @ValueSource(
      strings = {
        "GET /plain HTTP/1.1\r\nHost: shop.example\r\nAccept: */*\r\nUser-Agent: curl/8\r\n\r\n",
        "GET /keep HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n"
            + "x-user-id: u-1\r\nCookie: a=b\r\n\r\n",
        "POST /form HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n",
        "POST /zeros HTTP/1.1\r\nHost: a\r\nContent-Length: 005\r\nX-After: 1\r\n\r\n",
        "POST /ch HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n",
        "GET /xff HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Proto: https\r\n"
            + "X-Forwarded-Host: b\r\nAccept: */*\r\n\r\n",
        "GET /hop HTTP/1.1\r\nHost: a\r\nConnection: x-a, x-user-id, close\r\nx-a: 1\r\n"
            + "x-user-id: u\r\nProxy-Authorization: p\r\nTE: trailers\r\nUpgrade: h2c\r\n\r\n",
        "GET /override HTTP/1.1\r\nHost: a\r\nx-canary: canary\r\nX-Canary: stable\r\n\r\n",
        "POST /expect HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n",
        "GET /old HTTP/1.0\r\nAccept: */*\r\n\r\n",
        "GET http://a HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET http://a?q=1 HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /ows HTTP/1.1\r\nHost:a\r\nX-A:  spaced  \r\nX-B:\r\nX-C: \r\n\r\n",
        "DELETE /m HTTP/1.1\r\nHost: a\r\n\r\n",
        "PURGE /m HTTP/1.1\r\nHost: a\r\n\r\n"
      })
  void writesTheSameBytesAsTheOldPath(String raw) {
    Http1Head head = parsed(raw);
    // What the live path does to a head: Http1ServerHandler (Expect), routing (the untrusted
    // override header), Forwarder (ForwardHeaders), Upstream (a missing Host), the adapter's
    // framing.
    head.dropExpect();
    head.remove("x-canary");
    ForwardedHeadReference.prepareRequest(head, "192.0.2.7", KEEP);
    if (!head.contains(HeaderNames.HOST)) {
      head.set(HeaderNames.HOST, "b:80");
    }
    Http1BackendAdapter.frame(head);
    ByteBuf out = Unpooled.buffer();
    try {
      head.writeTo(out);
      String expected =
          new String(
              ForwardedHeadReference.forwardedHead(
                  nettyDecoded(raw), "192.0.2.7", KEEP, "x-canary", "b:80"),
              StandardCharsets.ISO_8859_1);
      assertThat(out.toString(StandardCharsets.ISO_8859_1)).isEqualTo(expected);
    } finally {
      out.release();
    }
  }

  @Test
  void readsFieldsAsTheyWereSentAndEditsBesideThem() {
    Http1Head head =
        parsed(
            "GET /r?q HTTP/1.0\r\nHost: a\r\nConnection: Keep-Alive\r\nX-A: 1\r\nx-a:  2 \r\n\r\n");
    assertThat(head.method()).isEqualTo("GET");
    assertThat(head.target()).isEqualTo("/r?q");
    assertThat(head.keepAlive()).isTrue();
    assertThat(head.get("X-A")).isEqualTo("1");
    assertThat(head.getAll("x-a")).containsExactly("1", "2");
    head.set("x-a", "3");
    head.add("x-b", "4");
    assertThat(head.getAll("X-A")).containsExactly("3");
    assertThat(head.size()).isEqualTo(4);
    StringBuilder fields = new StringBuilder();
    for (Map.Entry<CharSequence, CharSequence> e : head) {
      fields.append(e.getKey()).append('=').append(e.getValue()).append(';');
    }
    assertThat(fields).hasToString("Host=a;Connection=Keep-Alive;x-a=3;x-b=4;");
    assertThat(head.copy().headers().getAll("x-a")).containsExactly("3");
  }

  @Test
  void lookupsFindEveryReceivedNameInAnyCaseAndNoOther() {
    // Names that share a length or a first letter with others, and lookups for names not sent:
    // the lookups skip what was not received (HeadFields.received) and must still agree with a
    // walk over the fields.
    String[] sent = {"Host", "hXYZ", "X-A", "x-b", "Xa", "Te", "Accept", "A", "Upgrade-X", "~1"};
    StringBuilder raw = new StringBuilder("GET / HTTP/1.1\r\n");
    for (int i = 0; i < sent.length; i++) {
      raw.append(sent[i]).append(": v").append(i).append("\r\n");
    }
    Http1Head head = parsed(raw.append("\r\n").toString());
    String[] asked = {
      "host",
      "HOST",
      "hxyz",
      "x-a",
      "X-B",
      "xa",
      "te",
      "TE",
      "accept",
      "a",
      "upgrade-x",
      "~1",
      "x-c",
      "ho",
      "hosts",
      "upgrade",
      "expect",
      "x-forwarded-for",
      "connection",
      "b",
      "",
      "\u00e9"
    };
    for (String name : asked) {
      List<String> walked = new ArrayList<>();
      for (Map.Entry<CharSequence, CharSequence> e : head) {
        if (e.getKey().toString().equalsIgnoreCase(name)) {
          walked.add(e.getValue().toString());
        }
      }
      assertThat(head.getAll(name)).as(name).isEqualTo(walked);
      assertThat(head.contains(name)).as(name).isEqualTo(!walked.isEmpty());
      assertThat(head.get(name)).as(name).isEqualTo(walked.isEmpty() ? null : walked.get(0));
    }
    head.remove("HOST");
    assertThat(head.contains("host")).isFalse();
    head.add("Host", "again");
    assertThat(head.get("hOsT")).isEqualTo("again");
    assertThat(head.copy().headers().getAll("x-A")).containsExactly("v2");
  }

  @Test
  void headsOfAConnectionShareAnIteratorOnlyWhenItIsFree() {
    HeadFieldIterator shared = Http1Head.newIterator();
    Http1Head a = parsed("GET /a HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\r\n", shared);
    Http1Head b = parsed("GET /b HTTP/1.1\r\nHost: b\r\nX-B: 2\r\n\r\n", shared);
    StringBuilder seen = new StringBuilder();
    for (Map.Entry<CharSequence, CharSequence> ea : a) {
      seen.append(ea.getKey()).append('=').append(ea.getValue()).append('[');
      for (Map.Entry<CharSequence, CharSequence> eb : b) {
        seen.append(eb.getKey()).append('=').append(eb.getValue()).append(';');
      }
      seen.append(']');
    }
    assertThat(seen).hasToString("Host=a[Host=b;X-B=2;]X-A=1[Host=b;X-B=2;]");
    assertThat(a.iterator()).isSameAs(shared);
  }

  @Test
  void aRecycledHeadCarriesTheNextRequestAndNothingOfTheLastOne() {
    Http1RequestDecoder decoder = new Http1RequestDecoder(LIMITS, 0, 0);
    EmbeddedChannel ch = new EmbeddedChannel(decoder);
    ch.writeInbound(
        ascii("GET /a?q=1 HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nX-B: 2\r\nTE: trailers\r\n\r\n"));
    Http1Head a = ch.readInbound();
    assertThat(a.keepAlive()).isTrue();
    assertThat((Object) ch.readInbound()).isSameAs(Http1RequestDecoder.End.INSTANCE);
    a.add("x-added", "v");
    a.remove("x-a");
    assertThat(a.get("x-b")).isEqualTo("2");
    decoder.recycle(a);

    ch.writeInbound(ascii("POST /b HTTP/1.0\r\nHost: b\r\nContent-Length: 0\r\n\r\n"));
    Http1Head b = ch.readInbound();
    assertThat(b == a).as("the recycled head carries the next request").isTrue();
    assertThat(b.method()).isEqualTo("POST");
    assertThat(b.target()).isEqualTo("/b");
    assertThat(b.path()).isEqualTo("/b");
    assertThat(b.keepAlive()).isFalse();
    assertThat(b.size()).isEqualTo(2);
    assertThat(b.contains("te")).isFalse();
    assertThat(b.contains("x-a")).isFalse();
    assertThat(b.contains("x-added")).isFalse();
    assertThat(b.get("x-b")).isNull();
    assertThat(b.get("host")).isEqualTo("b");
    ByteBuf out = Unpooled.buffer();
    b.writeTo(out);
    assertThat(out.toString(StandardCharsets.ISO_8859_1))
        .isEqualTo("POST /b HTTP/1.1\r\nHost: b\r\nContent-Length: 0\r\n\r\n");
    out.release();
    assertThat((Object) ch.readInbound()).isSameAs(Http1RequestDecoder.End.INSTANCE);

    ch.writeInbound(ascii("GET /c HTTP/1.1\r\nHost: c\r\n\r\n"));
    Http1Head c = ch.readInbound();
    assertThat(c != b).as("nothing was handed back: a new head").isTrue();
    assertThat(c.path()).isEqualTo("/c");
    ch.finishAndReleaseAll();
  }

  /**
   * The parser reads a heap copy of the received bytes (up to {@code HeadCopy.MAX_BYTES}) and the
   * decoder moves the receive buffer by what the parser skipped: a head that arrives in pieces
   * after empty lines, and a pipelined burst larger than the copy (parsed in place, then copied as
   * it shrinks), each come out as the requests that were sent, every byte accounted for.
   */
  @Test
  void headsAreTheSameWhetherParsedFromACopyOrInPlace() {
    EmbeddedChannel ch = new EmbeddedChannel(new Http1RequestDecoder(LIMITS, 0, 0));
    for (String piece :
        new String[] {"\r\n\r", "\nGE", "T /frag HTTP/1.1\r\nHo", "st: a\r\n", "\r\n"}) {
      ch.writeInbound(ascii(piece));
    }
    Http1Head head = ch.readInbound();
    assertThat(head.target()).isEqualTo("/frag");
    assertThat(head.get("host")).isEqualTo("a");
    assertThat(written(head)).isEqualTo("GET /frag HTTP/1.1\r\nHost: a\r\n\r\n");
    assertThat((Object) ch.readInbound()).isSameAs(Http1RequestDecoder.End.INSTANCE);

    StringBuilder burst = new StringBuilder();
    int n = 100;
    for (int i = 0; i < n; i++) {
      burst.append(i % 7 == 0 ? "\r\n" : "").append("GET /p").append(i).append(" HTTP/1.1\r\n");
      burst.append("Host: h\r\nX-Pad: ").append("x".repeat(i)).append("\r\n\r\n");
    }
    assertThat(burst.length()).isGreaterThan(2 * HeadCopy.MAX_BYTES);
    ch.writeInbound(ascii(burst.toString()));
    for (int i = 0; i < n; i++) {
      Http1Head h = ch.readInbound();
      assertThat(h.target()).isEqualTo("/p" + i);
      assertThat(h.get("x-pad")).isEqualTo("x".repeat(i));
      assertThat((Object) ch.readInbound()).isSameAs(Http1RequestDecoder.End.INSTANCE);
    }
    assertThat((Object) ch.readInbound()).isNull();
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  /**
   * A mirrored copy is taken before the head is sent, then outlives it: the connection's decoder
   * hands the same head the next request. The copy is written from bytes as the head would have
   * been (a shadow gets what the primary got), and keeps none of the head's arrays or views
   * (X-Forwarded-Host is lent from the Host bytes).
   */
  @Test
  void aCopyIsWrittenAsTheHeadWouldBeAndOutlivesTheNextRequest() {
    Http1RequestDecoder decoder = new Http1RequestDecoder(LIMITS, 0, 0);
    EmbeddedChannel ch = new EmbeddedChannel(decoder);
    ch.writeInbound(
        ascii(
            "POST /m?q=1 HTTP/1.1\r\nHost: app.example:8080\r\nX-A:  spaced \r\nTE: trailers\r\n"
                + "x-user-id: u-1\r\nContent-Length: 3\r\n\r\nabc"));
    Http1Head head = ch.readInbound();
    head.remove("te");
    ForwardedHeadReference.prepareRequest(head, "192.0.2.7", KEEP);
    Http1Head copy = (Http1Head) head.copy();
    Http1BackendAdapter.frame(head);
    String primary = written(head);
    assertThat(primary).contains("x-forwarded-host: app.example:8080\r\n");
    ReferenceCountUtil.release(ch.readInbound()); // the body
    assertThat((Object) ch.readInbound()).isSameAs(Http1RequestDecoder.End.INSTANCE);
    decoder.recycle(head);
    ch.writeInbound(ascii("GET /other HTTP/1.1\r\nHost: zz\r\nX-B: 2\r\n\r\n"));
    assertThat((Object) ch.readInbound()).as("the same head, reused").isSameAs(head);

    Http1BackendAdapter.frame(copy);
    assertThat(written(copy)).isEqualTo(primary);
    assertThat(copy.method()).isEqualTo("POST");
    assertThat(copy.path()).isEqualTo("/m");
    assertThat(copy.bodyLength()).isEqualTo(3);
    copy.set(HeaderNames.HOST, "app-shadow.example:8080");
    assertThat(copy.get("host")).isEqualTo("app-shadow.example:8080");
    assertThat(head.get("host")).isEqualTo("zz");
    assertThat(head.contains("x-forwarded-host")).isFalse();
    ch.finishAndReleaseAll();
  }

  private static String written(Http1Head head) {
    ByteBuf out = Unpooled.buffer();
    try {
      head.writeTo(out);
      return out.toString(StandardCharsets.ISO_8859_1);
    } finally {
      out.release();
    }
  }

  @Test
  void thePathIsTheTargetWithoutItsQuery() {
    assertThat(parsed("GET /p?q=1 HTTP/1.1\r\nHost: a\r\n\r\n").path()).isEqualTo("/p");
    assertThat(parsed("GET /p HTTP/1.1\r\nHost: a\r\n\r\n").path()).isEqualTo("/p");
    assertThat(parsed("GET http://a/p?q HTTP/1.1\r\nHost: a\r\n\r\n").path()).isEqualTo("/p");
    assertThat(parsed("GET http://a HTTP/1.1\r\nHost: a\r\n\r\n").path()).isEqualTo("/");
  }

  private static ByteBuf ascii(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
  }

  @Test
  void http11CloseAndHttp10WithoutKeepAliveEndTheConnection() {
    assertThat(parsed("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n").keepAlive())
        .isFalse();
    assertThat(parsed("GET / HTTP/1.0\r\n\r\n").keepAlive()).isFalse();
    assertThat(parsed("GET / HTTP/1.1\r\nHost: a\r\n\r\n").keepAlive()).isTrue();
  }

  private static Http1Head parsed(String raw) {
    return parsed(raw, null);
  }

  private static Http1Head parsed(String raw, HeadFieldIterator iterator) {
    ByteBuf src = Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1);
    try {
      RequestHeadParser parser = new RequestHeadParser(LIMITS);
      assertThat(parser.parse(src)).isEqualTo(RequestHeadParser.Result.COMPLETE);
      long length =
          switch (parser.head().framing()) {
            case CHUNKED -> -1;
            case LENGTH -> parser.head().contentLength();
            case NONE -> 0;
          };
      return Http1Head.of(parser.head(), src, length, iterator);
    } finally {
      src.release();
    }
  }

  private static HttpRequest nettyDecoded(String raw) {
    EmbeddedChannel ch =
        new EmbeddedChannel(
            new HttpRequestDecoder(
                new HttpDecoderConfig()
                    .setAllowDuplicateContentLengths(false)
                    .setUseRfc9112TransferEncoding(true)));
    ch.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
    HttpRequest request = ch.readInbound();
    Object rest;
    while ((rest = ch.readInbound()) != null) {
      ReferenceCountUtil.release(rest);
    }
    ch.finishAndReleaseAll();
    return request;
  }
}
