package io.canaryproxy.discovery;

import io.canaryproxy.config.DnsConfig;
import io.canaryproxy.config.HostPort;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.resolver.ResolvedAddressTypes;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.NoopAuthoritativeDnsServerCache;
import io.netty.resolver.dns.NoopDnsCache;
import io.netty.resolver.dns.NoopDnsCnameCache;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Resolves names with Netty's asynchronous DNS client, which reads the answers' TTLs (the JDK's
 * resolver hides them). It consults {@code /etc/hosts} first (read once by Netty; an entry counts
 * as a one-day TTL, so {@code dns.maxTtl} applies), then the name servers of {@code dns.servers} or
 * {@code /etc/resolv.conf}, with its search domains and {@code ndots}. It keeps no answer cache:
 * every call asks again. Runs on one daemon thread of its own.
 */
final class DnsAddressResolver implements AddressResolver {
  private final EventLoopGroup group;
  private final DnsNameResolver resolver;
  private final DnsConfig.Family family;

  DnsAddressResolver(DnsConfig config) {
    this.family = config.family();
    this.group =
        new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("canary-dns", true), NioIoHandler.newFactory());
    DnsNameResolverBuilder builder =
        new DnsNameResolverBuilder(group.next())
            .datagramChannelType(NioDatagramChannel.class)
            // TCP, for an answer too large for UDP (a headless Service with many pods).
            .socketChannelType(NioSocketChannel.class)
            .queryTimeoutMillis(config.queryTimeout().toMillis())
            .resolveCache(NoopDnsCache.INSTANCE)
            .cnameCache(NoopDnsCnameCache.INSTANCE)
            .authoritativeDnsServerCache(NoopAuthoritativeDnsServerCache.INSTANCE)
            // Only picks which /etc/hosts entries are visible; each query asks for one record type.
            .resolvedAddressTypes(ResolvedAddressTypes.IPV4_PREFERRED);
    if (!config.servers().isEmpty()) {
      List<InetSocketAddress> servers = new ArrayList<>();
      for (HostPort hp : config.servers()) {
        servers.add(
            new InetSocketAddress(hp.host(), hp.port())); // literals only (validated), so no lookup
      }
      builder.nameServerProvider(new SequentialDnsServerAddressStreamProvider(servers));
    }
    this.resolver = builder.build();
  }

  @Override
  public CompletableFuture<Resolution> resolve(String host) {
    return switch (family) {
      case V4_ONLY -> query(host, DnsRecordType.A);
      case V6_ONLY -> query(host, DnsRecordType.AAAA);
      case V4_PREFERRED -> preferring(host, DnsRecordType.A, DnsRecordType.AAAA);
      case V6_PREFERRED -> preferring(host, DnsRecordType.AAAA, DnsRecordType.A);
      case ALL -> both(host);
    };
  }

  private CompletableFuture<Resolution> preferring(
      String host, DnsRecordType first, DnsRecordType second) {
    return query(host, first)
        .handle(
            (r, error) -> {
              if (r != null) {
                return CompletableFuture.completedFuture(r);
              }
              // Keep the first family's error when the second fails too: it is the one the user
              // expects.
              return query(host, second).handle((r2, error2) -> r2 != null ? r2 : rethrow(error));
            })
        .thenCompose(f -> f);
  }

  private CompletableFuture<Resolution> both(String host) {
    CompletableFuture<Resolution> a = query(host, DnsRecordType.A).handle((r, e) -> r);
    CompletableFuture<Resolution> aaaa = query(host, DnsRecordType.AAAA).handle((r, e) -> r);
    return a.thenCombine(
        aaaa,
        (r4, r6) -> {
          if (r4 == null && r6 == null) {
            return rethrow(new UnknownHostException(host + ": no A or AAAA record"));
          }
          if (r4 == null || r6 == null) {
            return r4 != null ? r4 : r6;
          }
          List<InetAddress> all = new ArrayList<>(r4.addresses());
          all.addAll(r6.addresses());
          return new Resolution(all, Math.min(r4.ttlSeconds(), r6.ttlSeconds()));
        });
  }

  private static Resolution rethrow(Throwable error) {
    Throwable cause =
        error instanceof java.util.concurrent.CompletionException && error.getCause() != null
            ? error.getCause()
            : error;
    throw new java.util.concurrent.CompletionException(cause);
  }

  private CompletableFuture<Resolution> query(String host, DnsRecordType type) {
    CompletableFuture<Resolution> out = new CompletableFuture<>();
    resolver
        .resolveAll(new DefaultDnsQuestion(host, type))
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                out.completeExceptionally(f.cause());
                return;
              }
              @SuppressWarnings("unchecked")
              List<DnsRecord> records = (List<DnsRecord>) f.getNow();
              try {
                out.complete(toResolution(host, type, records));
              } catch (UnknownHostException | RuntimeException e) {
                out.completeExceptionally(e);
              } finally {
                records.forEach(ReferenceCountUtil::release);
              }
            });
    return out;
  }

  private static Resolution toResolution(String host, DnsRecordType type, List<DnsRecord> records)
      throws UnknownHostException {
    int length = type == DnsRecordType.A ? 4 : 16;
    List<InetAddress> addresses = new ArrayList<>(records.size());
    long ttl = Long.MAX_VALUE;
    for (DnsRecord r : records) {
      if (r.type() != type || !(r instanceof DnsRawRecord raw)) {
        continue;
      }
      ByteBuf content = raw.content();
      if (content.readableBytes() != length) {
        continue;
      }
      addresses.add(InetAddress.getByAddress(host, ByteBufUtil.getBytes(content)));
      ttl = Math.min(ttl, r.timeToLive());
    }
    if (addresses.isEmpty()) {
      throw new UnknownHostException(host + ": no " + type.name() + " record");
    }
    return new Resolution(addresses, ttl);
  }

  @Override
  public void close() {
    resolver.close();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}
