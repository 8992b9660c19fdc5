package io.canaryproxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.config.ProxyConfig;
import io.canaryproxy.discovery.EndpointDirectory;
import io.canaryproxy.forwarding.CompositeListener;
import io.canaryproxy.forwarding.ForwardingContext;
import io.canaryproxy.routing.Router;
import io.canaryproxy.routing.RoutingTable;
import io.canaryproxy.testing.StrictRequestParser;
import io.canaryproxy.testing.StrictRequestParser.Request;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The whole request path without sockets, as in {@code PipelineBenchmark}: a client EmbeddedChannel
 * built by {@link ProxyChannelInitializer} and backend EmbeddedChannels that answer each request,
 * strictly parsed, with a canned 200. {@link #run} feeds input in pieces and checks the invariant:
 * what the backends received parses strictly, and each request there is, in order, a request of the
 * input (same method and target, found outside the bodies the client declared) with the body length
 * the client declared; no buffer leaks.
 */
final class RequestPathHarness {
  private static final String CONFIG =
      String.join(
          "\n",
          "listen: 127.0.0.1:0",
          "ioThreads: 1",
          "admin:",
          "  listen: 127.0.0.1:0",
          "backends:",
          "  stable: { endpoints: [\"127.0.0.1:18001\"], maxConnections: 4 }",
          "  canary: { endpoints: [\"127.0.0.1:18002\"], maxConnections: 4 }",
          "routing:",
          "  userKey:",
          "    - header: x-user-id",
          "  canaryPercent: 50",
          "  salt: \"fuzz-salt\"",
          "  override:",
          "    header: x-canary",
          "    trustedCidrs: [\"10.255.255.255/32\"]",
          "");
  private static final byte[] RESPONSE =
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII);
  private static final ProxyConfig PROXY_CONFIG = load();

  private static ProxyConfig load() {
    try {
      return ConfigLoader.parse(CONFIG);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static final class Backend {
    final EmbeddedChannel channel;
    final ByteArrayOutputStream received = new ByteArrayOutputStream();
    int answered;

    Backend(EmbeddedChannel channel) {
      this.channel = channel;
    }
  }

  private final List<Backend> backends = new ArrayList<>();
  private final EmbeddedChannel client;

  RequestPathHarness() throws Exception {
    Router router = new Router(RoutingTable.compile(PROXY_CONFIG.routing()));
    ProxyChannelInitializer initializer =
        new ProxyChannelInitializer(PROXY_CONFIG.limits(), PROXY_CONFIG.timeouts());
    ForwardingContext forwarding =
        new ForwardingContext(
            router,
            PROXY_CONFIG.backends(),
            new EndpointDirectory(PROXY_CONFIG.dns()),
            PROXY_CONFIG.timeouts(),
            new CompositeListener(List.of()),
            null,
            initializer);
    forwarding.setBackendChannelFactory(
        () -> {
          EmbeddedChannel ch = new EmbeddedChannel(DefaultChannelId.newInstance(), false, false);
          backends.add(new Backend(ch));
          return ch;
        });
    initializer.setForwarding(forwarding);
    client = new EmbeddedChannel();
    forwarding.initPools(client.eventLoop());
    client.pipeline().addLast(initializer);
    client.pipeline().fireChannelActive();
  }

  /** Feeds {@code pieces} in order, then checks the invariant and that nothing leaked. */
  static void run(byte[] input, List<byte[]> pieces) throws Exception {
    RequestPathHarness h = new RequestPathHarness();
    for (byte[] piece : pieces) {
      if (!h.client.isOpen()) {
        break;
      }
      h.client.writeInbound(Unpooled.copiedBuffer(piece));
      h.pump();
    }
    h.check(input);
    h.pump();
    assertThat(h.client.finishAndReleaseAll()).as("client messages left over").isFalse();
    for (Backend b : h.backends) {
      drain(b);
      assertThat(b.channel.finishAndReleaseAll()).as("backend messages left over").isFalse();
    }
  }

  /**
   * Moves bytes until nothing moves: backend requests out, canned answers in, client answers out.
   */
  private void pump() {
    boolean moved = true;
    while (moved) {
      moved = false;
      client.runPendingTasks();
      for (int i = 0; i < backends.size(); i++) {
        Backend b = backends.get(i);
        moved |= drain(b);
        List<Request> done = StrictRequestParser.parsePrefix(b.received.toByteArray()).requests();
        while (b.answered < done.size() && b.channel.isOpen()) {
          b.answered++;
          b.channel.writeInbound(Unpooled.wrappedBuffer(RESPONSE));
          moved = true;
        }
      }
      ByteBuf out;
      while ((out = client.readOutbound()) != null) {
        out.release();
        moved = true;
      }
    }
  }

  private static boolean drain(Backend b) {
    boolean moved = false;
    Object msg;
    while ((msg = b.channel.readOutbound()) != null) {
      ByteBuf buf = (ByteBuf) msg;
      byte[] bytes = new byte[buf.readableBytes()];
      buf.readBytes(bytes);
      buf.release();
      b.received.write(bytes, 0, bytes.length);
      moved = true;
    }
    return moved;
  }

  private void check(byte[] input) {
    String in = new String(input, StandardCharsets.ISO_8859_1);
    int cursor = 0;
    for (Backend b : backends) {
      byte[] stream = b.received.toByteArray();
      StrictRequestParser.Prefix prefix = StrictRequestParser.parsePrefix(stream);
      assertThat(prefix.error())
          .as(
              "strict parse of a backend stream:%n%s",
              new String(stream, StandardCharsets.ISO_8859_1))
          .isNull();
      // Backends are used one after the other for one client connection, so their requests are in
      // input order across backends too.
      for (Request r : prefix.requests()) {
        cursor = matchInInput(in, cursor, r);
      }
    }
  }

  /** Where {@code r} is in the input at or after {@code from}; returns the offset after it. */
  private static int matchInInput(String in, int from, Request r) {
    Pattern line =
        Pattern.compile(
            // A request line starts a line or follows the previous body; Netty splits it on any
            // whitespace (RFC 9112 section 3
            // allows that leniency), and an absolute-form target may reach the backend in origin
            // form.
            "(?:\\G|(?<=\\n)|^)"
                + Pattern.quote(r.method())
                + "[ \\t\\x0b\\f\\r]+(?:[a-zA-Z][a-zA-Z0-9+.-]*://[^/ ]*)?"
                + Pattern.quote(r.target())
                + "[ \\t\\x0b\\f\\r]");
    Matcher m = line.matcher(in);
    if (!m.find(from)) {
      throw new AssertionError(
          "backend received " + r + " which is not a request of the input after offset " + from);
    }
    int head = m.start();
    int headEnd = in.indexOf("\r\n\r\n", head);
    headEnd = headEnd < 0 ? in.length() : headEnd + 4;
    long[] declared = declaredBody(in, head, headEnd);
    if (declared == null) {
      return headEnd;
    }
    assertThat((long) r.body().length)
        .as("body length of %s (client declared %s)", r, declared[0])
        .isEqualTo(declared[0]);
    return (int) Math.min(declared[1], in.length());
  }

  /**
   * The body length the client's framing declares (Content-Length, or the sum of the chunk sizes)
   * and the input offset after the body, or {@code null} when this simple reading cannot tell.
   */
  private static long[] declaredBody(String in, int head, int headEnd) {
    String h = in.substring(head, headEnd).toLowerCase(Locale.ROOT);
    Matcher cl =
        Pattern.compile("\\r\\ncontent-length:[ \\t]*([0-9]{1,12})[ \\t]*\\r\\n").matcher(h);
    boolean chunked = h.contains("\r\ntransfer-encoding:") && h.contains("chunked");
    if (chunked) {
      return chunkedLength(in, headEnd);
    }
    if (cl.find()) {
      long n = Long.parseLong(cl.group(1));
      return new long[] {n, headEnd + n};
    }
    return h.contains("content-length") ? null : new long[] {0, headEnd};
  }

  private static long[] chunkedLength(String in, int at) {
    long total = 0;
    Pattern size = Pattern.compile("([0-9a-fA-F]{1,8})(;[^\\r\\n]*)?\\r\\n");
    while (true) {
      Matcher m = size.matcher(in);
      if (!m.find(at) || m.start() != at) {
        return null;
      }
      long n = Long.parseLong(m.group(1), 16);
      if (n == 0) {
        int end = in.startsWith("\r\n", m.end()) ? m.end() + 2 : in.indexOf("\r\n\r\n", m.end());
        return end < 0 ? null : new long[] {total, in.startsWith("\r\n", m.end()) ? end : end + 4};
      }
      total += n;
      at = m.end() + (int) n + 2;
      if (at > in.length()) {
        return null;
      }
    }
  }
}
