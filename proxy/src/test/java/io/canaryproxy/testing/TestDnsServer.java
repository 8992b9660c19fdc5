package io.canaryproxy.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real authoritative DNS server on a loopback UDP port, for tests: it answers A and AAAA
 * questions from a table the test changes as it goes (as a headless Service's pods come and go),
 * NXDOMAIN for unknown names, and SERVFAIL to everything while {@link #failAll} is on. It counts
 * the questions it got for each name.
 */
public final class TestDnsServer implements AutoCloseable {
  private record Answer(List<InetAddress> addresses, int ttlSeconds) {}

  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final Map<String, Answer> answers = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> questions = new ConcurrentHashMap<>();
  private final Channel channel;
  private volatile boolean failAll;

  private TestDnsServer() throws InterruptedException {
    channel =
        new Bootstrap()
            .group(group)
            .channel(NioDatagramChannel.class)
            .handler(
                new ChannelInitializer<DatagramChannel>() {
                  @Override
                  protected void initChannel(DatagramChannel ch) {
                    ch.pipeline()
                        .addLast(
                            new DatagramDnsQueryDecoder(),
                            new DatagramDnsResponseEncoder(),
                            new Responder());
                  }
                })
            .bind(new InetSocketAddress("127.0.0.1", 0))
            .sync()
            .channel();
  }

  public static TestDnsServer start() throws InterruptedException {
    return new TestDnsServer();
  }

  /** {@code ip:port} for {@code dns.servers}. */
  public String address() {
    return "127.0.0.1:" + ((InetSocketAddress) channel.localAddress()).getPort();
  }

  /**
   * Answers {@code name} with these addresses (IPv4 for A, IPv6 for AAAA questions) and TTL from
   * now on.
   */
  public void set(String name, int ttlSeconds, String... ips) {
    List<InetAddress> addresses = new ArrayList<>();
    for (String ip : ips) {
      try {
        addresses.add(InetAddress.getByName(ip)); // literals only: no lookup
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException(ip, e);
      }
    }
    answers.put(key(name), new Answer(List.copyOf(addresses), ttlSeconds));
  }

  /** Answers NXDOMAIN for {@code name} from now on. */
  public void remove(String name) {
    answers.remove(key(name));
  }

  /** While on, every question gets SERVFAIL, as from a name server that is down or overloaded. */
  public void failAll(boolean on) {
    failAll = on;
  }

  /** Questions received for {@code name}, of any type. */
  public int questions(String name) {
    AtomicInteger n = questions.get(key(name));
    return n == null ? 0 : n.get();
  }

  private static String key(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private final class Responder extends SimpleChannelInboundHandler<DatagramDnsQuery> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery query) {
      DnsQuestion question = query.recordAt(DnsSection.QUESTION);
      DatagramDnsResponse response =
          new DatagramDnsResponse(query.recipient(), query.sender(), query.id());
      response.setRecursionDesired(query.isRecursionDesired());
      response.setRecursionAvailable(true);
      response.setAuthoritativeAnswer(true);
      if (question == null) {
        response.setCode(DnsResponseCode.FORMERR);
        ctx.writeAndFlush(response);
        return;
      }
      String name = key(question.name());
      questions.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
      response.addRecord(
          DnsSection.QUESTION, new DefaultDnsQuestion(question.name(), question.type()));
      Answer answer = answers.get(name);
      if (failAll) {
        response.setCode(DnsResponseCode.SERVFAIL);
      } else if (answer == null) {
        response.setCode(DnsResponseCode.NXDOMAIN);
      } else {
        boolean v4 = question.type() == DnsRecordType.A;
        for (InetAddress a : answer.addresses()) {
          if (v4 == (a instanceof Inet4Address)
              && (question.type() == DnsRecordType.A || question.type() == DnsRecordType.AAAA)) {
            response.addRecord(
                DnsSection.ANSWER,
                new DefaultDnsRawRecord(
                    question.name(),
                    question.type(),
                    answer.ttlSeconds(),
                    Unpooled.wrappedBuffer(a.getAddress())));
          }
        }
      }
      ctx.writeAndFlush(response);
    }
  }
}
