package io.canaryproxy.mirroring;

import io.canaryproxy.config.BackendConfig;
import io.canaryproxy.config.BackendProtocol;
import io.canaryproxy.config.MirrorConfig;
import io.canaryproxy.config.TimeoutsConfig;
import io.canaryproxy.discovery.EndpointDirectory;
import io.canaryproxy.forwarding.BackendPipelineFactory;
import io.canaryproxy.forwarding.Exchange;
import io.canaryproxy.forwarding.MirrorTap;
import io.canaryproxy.grpc.GrpcCalls;
import io.canaryproxy.http.HeaderNames;
import io.canaryproxy.http.RequestHead;
import io.canaryproxy.mirroring.MirrorStats.Outcome;
import io.canaryproxy.pool.BackendPool;
import io.canaryproxy.pool.Connector;
import io.canaryproxy.pool.LoopPools;
import io.canaryproxy.pool.PoolSet;
import io.canaryproxy.pool.Transports;
import io.canaryproxy.routing.SaltedHasher;
import io.canaryproxy.routing.Variant;
import io.canaryproxy.tls.BackendTls;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ReflectiveChannelFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;

/**
 * Traffic mirroring: the {@link MirrorTap.Factory} the forwarder asks about every request. A
 * sampled request gets a {@link MirroredExchange} that copies it to the {@code mirror.to} pool,
 * fire-and-forget, and compares the answers. {@code maxInFlight} is one process-wide bound, shared
 * by all event loops (an {@link AtomicInteger}); a baseline copy takes a slot of its own. Shadow
 * connections live in pools of their own, one set per event loop, created by {@link #initPools}.
 * Whether the shadow is ejected ({@code mirror.ejection}) is process-wide too: one {@link
 * ShadowEjection} that every loop reads without a lock.
 */
public final class Mirroring implements MirrorTap.Factory {
  final MirrorStats stats;
  final ResponseComparator comparator;
  final boolean compare;
  final String hostSuffix;
  final long maxBodyBytes;
  private final MirrorConfig config;
  private final Map<String, BackendConfig> backends;
  private final String stableBackend;
  private final TimeoutsConfig timeouts;
  private final LongConsumer shadowLatencyMicros;
  private final MirrorSampler sampler;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final ShadowEjection ejection;
  private final long timeoutNanos;
  private final boolean baselineOn;
  private volatile PoolSet pools;

  /**
   * @param config the {@code mirror} section
   * @param backends every named backend; must contain {@code config.to()}
   * @param stableBackend name of the stable backend, used by {@code compare.stableBaseline}
   * @param routingSalt {@code routing.salt}; {@code sampleBy: user} hashes users with {@code salt +
   *     ":mirror"}, so the mirrored users are not simply the canary users
   * @param timeouts for the connect timeout of shadow connections (capped at {@code
   *     mirror.timeout})
   * @param shadowLatencyMicros receives the latency of every completed shadow request, in
   *     microseconds, from the moment the request was sampled to the last response byte; may be
   *     {@code null}
   */
  public Mirroring(
      MirrorConfig config,
      Map<String, BackendConfig> backends,
      String stableBackend,
      String routingSalt,
      TimeoutsConfig timeouts,
      LongConsumer shadowLatencyMicros) {
    if (!backends.containsKey(config.to())) {
      throw new IllegalArgumentException(
          "mirror.to: " + config.to() + " (expected: a defined backend)");
    }
    this.config = config;
    this.backends = backends;
    this.stableBackend = stableBackend;
    this.timeouts = timeouts;
    this.shadowLatencyMicros = shadowLatencyMicros;
    String salt = (routingSalt == null ? "" : routingSalt) + ":mirror";
    this.sampler = new MirrorSampler(config, new SaltedHasher(salt)::bucket);
    this.ejection = new ShadowEjection(config.to(), config.ejection(), System::nanoTime);
    this.stats = new MirrorStats(inFlight, ejection::isEjected);
    MirrorConfig.CompareConfig cc = config.compare();
    this.compare = cc != null && cc.enabled();
    this.comparator = compare ? new ResponseComparator(cc) : null;
    this.baselineOn = compare && cc.stableBaseline() && backends.containsKey(stableBackend);
    this.hostSuffix = config.hostSuffix() == null ? "" : config.hostSuffix();
    this.maxBodyBytes = config.maxBodyBytes();
    this.timeoutNanos = config.timeout().toNanos();
  }

  /** The counters, for {@code /admin/stats}, metrics and the canary judge. */
  /** Whether stable-vs-stable baseline copies are sent and compared ({@code stableBaseline}). */
  public boolean baselineOn() {
    return baselineOn;
  }

  public MirrorStats stats() {
    return stats;
  }

  @Override
  public void initPools(
      EventLoopGroup group, BackendPipelineFactory pipelines, EndpointDirectory directory)
      throws InterruptedException {
    // A pool set of its own, under its own owner name in the directory: the shadow keeps its
    // addresses when a reload changes the backends section (the mirror section applies only on
    // restart), follows DNS like the forwarder, and never takes a primary connection.
    Map<String, BackendConfig> mirrored = new LinkedHashMap<>();
    mirrored.put(config.to(), backends.get(config.to()));
    if (baselineOn) {
      mirrored.put(stableBackend, backends.get(stableBackend));
    }
    int connectMillis =
        (int) Math.max(1, Math.min(timeouts.connect().toMillis(), config.timeout().toMillis()));
    pools =
        new PoolSet(
            "mirror",
            directory,
            BackendPool.Spread.IN_TURN,
            loop -> {
              Connector connector =
                  new Connector(
                      loop,
                      new ReflectiveChannelFactory<>(Transports.clientChannel()),
                      connectMillis,
                      pipelines::assemble,
                      delta -> {},
                      "shadow");
              connector.setMultiplexing(pipelines.multiplexing());
              return connector;
            },
            (backend, endpoint) ->
                BackendTls.forEndpoint(
                    backend.tls(), endpoint.host(), backend.protocol() == BackendProtocol.H2));
    pools.start(group, mirrored);
  }

  @Override
  public MirrorTap tap(RequestHead request, Exchange exchange, EventLoop loop) {
    if (!sampler.sample(exchange.method, exchange.route.variant, exchange.route.userKey())) {
      return null;
    }
    LoopPools loopPools = pools == null ? null : pools.forLoop(loop);
    if (loopPools == null) {
      return null; // initPools was not called for this loop: mirroring is not set up there
    }
    if (request.bodyLength() > maxBodyBytes) {
      stats.count(Outcome.BODY_TOO_LARGE);
      return null;
    }
    // The Content-Type is looked up before the in-flight bound only when it can exclude the
    // request (grpc: none, which counts nothing); otherwise a request the bound drops costs no
    // header scan (with a stalled shadow, that is nearly every sampled request).
    boolean grpcNone = config.grpc() == MirrorConfig.GrpcMirror.NONE;
    if (grpcNone && isGrpc(request)) {
      return null;
    }
    if (!ejection.admits()) {
      stats.count(Outcome.DROPPED_EJECTED);
      return null;
    }
    boolean withBaseline = baselineOn && exchange.route.variant == Variant.STABLE;
    int legs = withBaseline ? 2 : 1;
    if (!acquire(legs)) {
      stats.count(Outcome.DROPPED_INFLIGHT);
      return null;
    }
    boolean grpc = !grpcNone && isGrpc(request);
    MirroredExchange tap =
        new MirroredExchange(
            this,
            exchange.method,
            exchange.path(),
            legs,
            withBaseline,
            grpc && config.grpc() == MirrorConfig.GrpcMirror.UNARY);
    ShadowLeg[] all = tap.legs();
    BackendPool[] targets = new BackendPool[all.length];
    for (int i = 0; i < all.length; i++) {
      targets[i] = loopPools.lookup(all[i].baseline() ? stableBackend : config.to());
    }
    tap.start(targets, loop, timeoutNanos);
    return tap;
  }

  private static boolean isGrpc(RequestHead request) {
    return GrpcCalls.isGrpc(request.headers().get(HeaderNames.CONTENT_TYPE));
  }

  private boolean acquire(int n) {
    int max = config.maxInFlight();
    while (true) {
      int cur = inFlight.get();
      if (cur + n > max) {
        return false;
      }
      if (inFlight.compareAndSet(cur, cur + n)) {
        return true;
      }
    }
  }

  void release(int n) {
    inFlight.addAndGet(-n);
  }

  /**
   * A copy to the shadow (not a baseline copy) ended with {@code outcome}: an answer or a failure
   * feeds the ejection; a copy given up for another reason says nothing about the shadow.
   */
  void shadowEnded(Outcome outcome, long startNanos) {
    if (outcome == Outcome.COMPLETED) {
      ejection.answered();
    } else if (outcome == Outcome.TIMEOUT || outcome == Outcome.FAILED) {
      ejection.failed(outcome, startNanos);
    }
  }

  void recordLatency(long nanos) {
    if (shadowLatencyMicros != null) {
      shadowLatencyMicros.accept(nanos / 1000);
    }
  }

  ResponseDigest newDigest() {
    MirrorConfig.CompareConfig cc = config.compare();
    return new ResponseDigest(cc.headers(), cc.maxBodyBytes(), cc.json());
  }
}
