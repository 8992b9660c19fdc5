package io.canaryproxy.discovery;

import io.canaryproxy.config.DnsConfig;
import io.canaryproxy.config.HostPort;
import io.canaryproxy.net.Cidr;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The current socket addresses of every endpoint in use. An endpoint given as an address literal
 * maps to that one address, for good. An endpoint given by name maps to every address the name
 * resolves to (all the pods of a headless Service), and the name is asked again when its answer
 * expires: after the answer's TTL, but never sooner than {@code dns.minTtl} nor later than {@code
 * dns.maxTtl}. While a name fails to resolve it keeps the addresses it had (a DNS outage must not
 * empty a pool), and is retried after {@code minTtl}, doubling up to {@code maxTtl}; a name that
 * never resolved has no address, so its backend answers 503 until it does.
 *
 * <p>Several owners (the forwarder, mirroring) each declare the endpoints they use with {@link
 * #track}; the directory resolves the union. Listeners hear about every change of an address set.
 * Reading {@link #addresses} is lock-free; everything else runs on the directory's own thread or
 * under its lock, never on an event loop.
 */
public final class EndpointDirectory implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EndpointDirectory.class);

  private final DnsConfig config;
  private final Supplier<AddressResolver> resolverFactory;
  private final Map<String, Set<HostPort>> owners = new HashMap<>();
  private final Map<String, Name> names = new HashMap<>();
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private final LongAdder successes = new LongAdder();
  private final LongAdder failures = new LongAdder();
  private final LongAdder changes = new LongAdder();
  private volatile Map<HostPort, List<InetSocketAddress>> snapshot = Map.of();
  private AddressResolver resolver;
  private ScheduledExecutorService scheduler;
  private boolean closed;

  /** A directory that resolves names with DNS ({@code /etc/hosts} first). */
  public EndpointDirectory(DnsConfig config) {
    this(config, () -> new DnsAddressResolver(config));
  }

  /**
   * @param resolverFactory called once, when the first name is tracked; a directory of literals
   *     starts no thread
   */
  public EndpointDirectory(DnsConfig config, Supplier<AddressResolver> resolverFactory) {
    this.config = config;
    this.resolverFactory = resolverFactory;
  }

  /**
   * Listens for changes of any address set; called on the directory's thread, so it must not block.
   */
  public void addListener(Runnable onChange) {
    listeners.add(onChange);
  }

  /**
   * Declares the endpoints {@code owner} uses, replacing what it declared before, and waits until
   * every name not seen before has its first answer (or has failed, or a few query timeouts have
   * passed). Names no owner uses any more are dropped. Blocks: call it from a startup or reload
   * thread, never from an event loop.
   */
  public void track(String owner, Collection<HostPort> endpoints) throws InterruptedException {
    List<CompletableFuture<Void>> first = new ArrayList<>();
    synchronized (this) {
      if (closed) {
        return;
      }
      owners.put(owner, Set.copyOf(endpoints));
      Set<String> wanted = new HashSet<>();
      for (Set<HostPort> set : owners.values()) {
        for (HostPort hp : set) {
          if (Cidr.parseLiteral(hp.host()) == null) {
            wanted.add(hp.host());
          }
        }
      }
      names.entrySet().removeIf(e -> !wanted.contains(e.getKey()) && e.getValue().drop());
      for (String host : wanted) {
        if (!names.containsKey(host)) {
          Name n = new Name(host);
          names.put(host, n);
          first.add(n.firstAnswer);
          resolveLater(n, 0);
        }
      }
      rebuild();
    }
    long waitMillis = Math.max(1000, 4 * config.queryTimeout().toMillis());
    try {
      CompletableFuture.allOf(first.toArray(new CompletableFuture<?>[0]))
          .get(waitMillis, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      log.warn(
          "dns: some names have no answer after {} ms; their backends answer 503 until they do",
          waitMillis);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e.getCause()); // firstAnswer never fails; a bug if it does
    }
  }

  /**
   * The current addresses of {@code endpoint}: empty while a tracked name has never resolved, or
   * when untracked.
   */
  public List<InetSocketAddress> addresses(HostPort endpoint) {
    List<InetSocketAddress> a = snapshot.get(endpoint);
    return a != null ? a : List.of();
  }

  /** Every tracked endpoint and its addresses, for {@code /admin/endpoints}. */
  public Map<HostPort, List<InetSocketAddress>> snapshot() {
    return snapshot;
  }

  /**
   * The state of every name, for {@code /admin/endpoints}: addresses, TTL, failures, last error.
   */
  public synchronized Map<String, Object> names() {
    Map<String, Object> out = new LinkedHashMap<>();
    names.keySet().stream().sorted().forEach(host -> out.put(host, names.get(host).describe()));
    return out;
  }

  /** Resolutions that gave at least one address. */
  public long successes() {
    return successes.sum();
  }

  /** Resolutions that failed (the name kept its previous addresses, if any). */
  public long failures() {
    return failures.sum();
  }

  /** Times an address set changed after the first answer. */
  public long changes() {
    return changes.sum();
  }

  /**
   * How long an answer with this TTL is used: the TTL within {@code [minTtl, maxTtl]}. After {@code
   * failures} failures in a row, the retry delay instead: {@code minTtl} doubled per earlier
   * failure, at most {@code maxTtl}.
   */
  static long delayMillis(DnsConfig config, long ttlSeconds, int failures) {
    long min = config.minTtl().toMillis();
    long max = config.maxTtl().toMillis();
    if (failures > 0) {
      int shift = Math.min(failures - 1, 30);
      return Math.min(max, min << shift);
    }
    long ttl = ttlSeconds > max / 1000 ? max : ttlSeconds * 1000;
    return Math.max(min, Math.min(max, ttl));
  }

  /** Schedules a query of {@code n}; under the lock. */
  private void resolveLater(Name n, long delayMillis) {
    if (scheduler == null) {
      scheduler =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "canary-dns-refresh");
                t.setDaemon(true);
                return t;
              });
      resolver = resolverFactory.get();
    }
    n.nextAtMillis = System.currentTimeMillis() + delayMillis;
    n.next = scheduler.schedule(() -> query(n), delayMillis, TimeUnit.MILLISECONDS);
  }

  private void query(Name n) {
    AddressResolver r;
    synchronized (this) {
      if (closed || names.get(n.host) != n) {
        return;
      }
      r = resolver;
    }
    CompletableFuture<Resolution> f;
    try {
      f = r.resolve(n.host);
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    f.whenComplete((result, error) -> answered(n, result, error));
  }

  private void answered(Name n, Resolution result, Throwable error) {
    boolean changed = false;
    synchronized (this) {
      if (closed || names.get(n.host) != n) {
        return;
      }
      if (result != null) {
        successes.increment();
        InetAddress[] sorted = result.addresses().stream().distinct().toArray(InetAddress[]::new);
        Arrays.sort(sorted, EndpointDirectory::compare);
        List<InetAddress> next = List.of(sorted);
        if (n.failures > 0 && n.resolved()) {
          log.info("dns: {} resolves again after {} failures", n.host, n.failures);
        }
        if (!next.equals(n.addresses)) {
          if (n.resolved()) {
            changes.increment();
            log.info("dns: {} now has {} (was {})", n.host, show(next), show(n.addresses));
          } else {
            log.info("dns: {} has {} (TTL {}s)", n.host, show(next), result.ttlSeconds());
          }
          n.addresses = next;
          changed = true;
        }
        n.failures = 0;
        n.lastError = null;
        n.ttlSeconds = result.ttlSeconds();
      } else {
        failures.increment();
        Throwable cause =
            error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                ? error.getCause()
                : error;
        n.lastError = String.valueOf(cause.getMessage() != null ? cause.getMessage() : cause);
        if (n.failures == 0) {
          log.warn(
              "dns: {} did not resolve ({}); {}",
              n.host,
              n.lastError,
              n.addresses.isEmpty()
                  ? "it has no address yet"
                  : "keeping its last addresses " + show(n.addresses));
        }
        n.failures++;
      }
      resolveLater(n, delayMillis(config, n.ttlSeconds, n.failures));
      if (changed) {
        rebuild();
      }
    }
    n.firstAnswer.complete(null);
    if (changed) {
      for (Runnable l : listeners) {
        try {
          l.run();
        } catch (RuntimeException e) {
          log.warn("dns: a listener failed", e);
        }
      }
    }
  }

  /** Recomputes the snapshot from the tracked endpoints; under the lock. */
  private void rebuild() {
    Map<HostPort, List<InetSocketAddress>> next = new HashMap<>();
    for (Set<HostPort> set : owners.values()) {
      for (HostPort hp : set) {
        next.computeIfAbsent(hp, this::socketAddresses);
      }
    }
    snapshot = Map.copyOf(next);
  }

  private List<InetSocketAddress> socketAddresses(HostPort hp) {
    InetAddress literal = Cidr.parseLiteral(hp.host());
    if (literal != null) {
      return List.of(new InetSocketAddress(literal, hp.port()));
    }
    Name n = names.get(hp.host());
    if (n == null) {
      return List.of();
    }
    List<InetSocketAddress> out = new ArrayList<>(n.addresses.size());
    for (InetAddress a : n.addresses) {
      out.add(new InetSocketAddress(a, hp.port()));
    }
    return List.copyOf(out);
  }

  /** {@code ip:port}, with an IPv6 address in brackets. */
  public static String show(InetSocketAddress address) {
    String ip = address.getAddress().getHostAddress();
    return (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + address.getPort();
  }

  private static int compare(InetAddress a, InetAddress b) {
    byte[] x = a.getAddress();
    byte[] y = b.getAddress();
    return x.length != y.length
        ? Integer.compare(x.length, y.length)
        : Arrays.compareUnsigned(x, y);
  }

  private static String show(List<InetAddress> addresses) {
    return addresses.stream().map(InetAddress::getHostAddress).toList().toString();
  }

  @Override
  public void close() {
    ScheduledExecutorService s;
    AddressResolver r;
    synchronized (this) {
      closed = true;
      names.values().forEach(Name::drop);
      s = scheduler;
      r = resolver;
    }
    if (s != null) {
      s.shutdownNow();
    }
    if (r != null) {
      r.close();
    }
  }

  /** One tracked name. Guarded by the directory's lock. */
  private static final class Name {
    final String host;
    final CompletableFuture<Void> firstAnswer = new CompletableFuture<>();
    List<InetAddress> addresses = List.of();
    long ttlSeconds;
    int failures;
    String lastError;
    long nextAtMillis;
    ScheduledFuture<?> next;

    Name(String host) {
      this.host = host;
    }

    /** Stops refreshing; returns true so that it can be used in {@code removeIf}. */
    boolean drop() {
      if (next != null) {
        next.cancel(false);
      }
      firstAnswer.complete(null); // nobody waits for a name that is gone
      return true;
    }

    /**
     * Whether the name ever resolved: an answer always has an address, and a failure keeps them.
     */
    boolean resolved() {
      return !addresses.isEmpty();
    }

    Map<String, Object> describe() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("addresses", addresses.stream().map(InetAddress::getHostAddress).toList());
      m.put("ttlSeconds", resolved() ? ttlSeconds : null);
      m.put("failures", failures);
      m.put("lastError", lastError);
      m.put("nextQueryInMillis", Math.max(0, nextAtMillis - System.currentTimeMillis()));
      return m;
    }
  }
}
