package io.canaryproxy.routing;

import io.canaryproxy.config.RoutingConfig;
import io.canaryproxy.config.RoutingConfig.Anonymous;
import io.canaryproxy.config.RoutingConfig.AnonymousCookie;
import io.canaryproxy.config.RoutingConfig.Propagate;
import io.canaryproxy.config.RoutingConfig.RuleConfig;
import io.canaryproxy.config.RoutingConfig.UserKeySource;
import io.canaryproxy.net.Cidr;
import io.canaryproxy.routing.RoutingResult.Reason;
import java.net.InetAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * An immutable routing snapshot compiled once from {@link RoutingConfig}. {@link #route} decides in
 * this order: a trusted override header, then the rules (first match wins), then a variant
 * propagated by a trusted peer, then the user's cohort bucket (an experiment arm's range first,
 * then the canary's; with {@code anonymous: cookie} a visitor without a key gets a new id and is
 * routed by it), then the anonymous policy. It is safe to call from any thread. A decision
 * allocates nothing for an ASCII header key and non-regex rules; a key read from a cookie costs one
 * substring.
 */
public final class RoutingTable {
  private static final String COOKIE = "cookie";
  private static final String BAGGAGE = "baggage";

  private final RoutingConfig config;
  private final String stable;
  private final String canary;
  private final int threshold;
  private final SaltedHasher hasher;
  private final UserKeySource.Kind[] keyKinds;
  private final String[] keyNames;
  private final String overrideHeader;
  private final Cidr[] trusted;
  private final int trustForwardedFor;
  private final Rule[] rules;
  private final boolean split;
  private final VisitorCookie visitorCookie;
  private final String propagateHeader;
  private final boolean propagateBaggage;
  private final Cidr[] propagateTrusted;
  private final Arms arms;
  private final Set<String> headersRead;

  private RoutingTable(RoutingConfig config, RoutingTable compiled) {
    this.config = config;
    this.threshold = Cohorts.threshold(config.canaryPercent());
    this.stable = compiled.stable;
    this.canary = compiled.canary;
    this.hasher = compiled.hasher;
    this.keyKinds = compiled.keyKinds;
    this.keyNames = compiled.keyNames;
    this.overrideHeader = compiled.overrideHeader;
    this.trusted = compiled.trusted;
    this.trustForwardedFor = compiled.trustForwardedFor;
    this.rules = compiled.rules;
    this.split = compiled.split;
    this.visitorCookie = compiled.visitorCookie;
    this.propagateHeader = compiled.propagateHeader;
    this.propagateBaggage = compiled.propagateBaggage;
    this.propagateTrusted = compiled.propagateTrusted;
    this.arms = compiled.arms;
    this.headersRead = compiled.headersRead;
  }

  private RoutingTable(RoutingConfig cfg) {
    this.config = cfg;
    this.stable = cfg.stable();
    this.canary = cfg.canary();
    this.threshold = Cohorts.threshold(checkPercent(cfg.canaryPercent()));
    this.hasher = new SaltedHasher(cfg.salt() == null ? "" : cfg.salt());
    List<UserKeySource> sources = cfg.userKey() == null ? List.of() : cfg.userKey();
    this.keyKinds = new UserKeySource.Kind[sources.size()];
    this.keyNames = new String[sources.size()];
    for (int i = 0; i < sources.size(); i++) {
      keyKinds[i] = sources.get(i).kind();
      keyNames[i] = sources.get(i).name();
    }
    if (cfg.override() != null) {
      this.overrideHeader = cfg.override().header();
      List<String> cidrs =
          cfg.override().trustedCidrs() == null ? List.of() : cfg.override().trustedCidrs();
      this.trusted = new Cidr[cidrs.size()];
      for (int i = 0; i < cidrs.size(); i++) {
        trusted[i] = Cidr.parse(cidrs.get(i));
      }
      this.trustForwardedFor = cfg.override().trustForwardedFor();
    } else {
      this.overrideHeader = null;
      this.trusted = new Cidr[0];
      this.trustForwardedFor = 0;
    }
    List<RuleConfig> ruleConfigs = cfg.rules() == null ? List.of() : cfg.rules();
    this.rules = new Rule[ruleConfigs.size()];
    for (int i = 0; i < rules.length; i++) {
      String to = ruleConfigs.get(i).to();
      rules[i] =
          new Rule(
              ruleConfigs.get(i),
              to.equals(canary)
                  ? Variant.CANARY
                  : to.equals(stable) ? Variant.STABLE : Variant.OTHER);
    }
    this.split = cfg.anonymous() == Anonymous.SPLIT;
    this.visitorCookie =
        cfg.anonymous() == Anonymous.COOKIE
            ? new VisitorCookie(
                cfg.anonymousCookie() == null ? AnonymousCookie.DEFAULT : cfg.anonymousCookie())
            : null;
    Propagate propagate = cfg.propagate();
    this.propagateHeader = propagate == null ? null : propagate.header();
    this.propagateBaggage = propagate != null && propagate.baggage();
    List<String> inbound =
        propagate == null || propagate.trustInbound() == null
            ? List.of()
            : propagate.trustInbound();
    this.propagateTrusted = new Cidr[inbound.size()];
    for (int i = 0; i < propagateTrusted.length; i++) {
      propagateTrusted[i] = Cidr.parse(inbound.get(i));
    }
    this.arms = new Arms(cfg.experiments());
    Set<String> read = new HashSet<>(headersRead(sources, overrideHeader, ruleConfigs));
    if (trustForwardedFor > 0) {
      read.add(ForwardedFor.HEADER);
    }
    if (visitorCookie != null) {
      read.add(COOKIE);
    }
    if (propagate != null) {
      read.add(propagateHeader);
      read.add(BAGGAGE);
    }
    this.headersRead = Set.copyOf(read);
  }

  /** Lower-case names of every request header that routing reads. */
  private static Set<String> headersRead(
      List<UserKeySource> sources, String overrideHeader, List<RuleConfig> rules) {
    Set<String> names = new HashSet<>();
    for (UserKeySource source : sources) {
      if (source.kind() == UserKeySource.Kind.COOKIE) {
        names.add("cookie");
      } else if (source.kind() == UserKeySource.Kind.HEADER) {
        names.add(lower(source.name()));
      }
    }
    if (overrideHeader != null) {
      names.add(lower(overrideHeader));
    }
    for (RuleConfig rule : rules) {
      if (rule.header() != null) {
        names.add(lower(rule.header().name()));
      }
      if (rule.cookie() != null) {
        names.add("cookie");
      }
    }
    return Set.copyOf(names);
  }

  private static String lower(String name) {
    return name.toLowerCase(Locale.ROOT);
  }

  /**
   * The lower-case names of the request headers this table reads to route (user-key headers, the
   * {@code Cookie} header when a cookie is a key or a rule, the override header, rule headers). A
   * client's {@code Connection} header may not remove them: routing and the backend must see the
   * same request.
   */
  public Set<String> headersRead() {
    return headersRead;
  }

  /**
   * Compiles a validated routing section (regexes, CIDRs, the salted hash prefix).
   *
   * @throws IllegalArgumentException when a value is invalid, which {@code ConfigLoader} would have
   *     rejected
   */
  public static RoutingTable compile(RoutingConfig cfg) {
    return new RoutingTable(cfg);
  }

  /** A snapshot identical to this one except for the canary share, 0..100. */
  public RoutingTable withCanaryPercent(double percent) {
    checkPercent(percent);
    return new RoutingTable(config.withCanaryPercent(percent), this);
  }

  /** The arms of {@code routing.experiments}, in order (empty without experiments). */
  public List<String> armNames() {
    return arms.names();
  }

  /** The share of users, 0..100, routed to the canary. */
  public double canaryPercent() {
    return config.canaryPercent();
  }

  /** The routing section this snapshot was compiled from, with the current canary percentage. */
  public RoutingConfig config() {
    return config;
  }

  /**
   * Decides where {@code request} goes and overwrites every field of {@code out}. The user key and
   * bucket are filled whenever the request carries a key, even when an override or a rule decided,
   * so that sticky mirror sampling and the access log see them; an override value other than
   * canary/stable is ignored.
   */
  public void route(RequestView request, RoutingResult out) {
    CharSequence key = userKey(request);
    out.setCookie = null;
    if (key == null && visitorCookie != null) {
      key = visitorCookie.read(request.header(COOKIE));
      if (key == null) {
        // A new visitor: this request is already routed by the id it is given, so the cohort of
        // the cookie is the version the visitor saw first.
        String id = VisitorCookie.newId();
        out.setCookie = visitorCookie.setCookie(id);
        key = id;
      }
    }
    out.userKey(key);
    out.bucket = key == null ? -1 : hasher.bucket(key);
    out.stripOverride = false;
    out.arm = null;
    if (overrideHeader != null) {
      String value = request.header(overrideHeader);
      if (value != null) {
        if (!isTrusted(clientAddress(request))) {
          out.stripOverride = true;
        } else if (value.equalsIgnoreCase("canary")) {
          set(out, canary, Variant.CANARY, Reason.OVERRIDE);
          return;
        } else if (value.equalsIgnoreCase("stable")) {
          set(out, stable, Variant.STABLE, Reason.OVERRIDE);
          return;
        }
      }
    }
    for (Rule rule : rules) {
      if (rule.matches(request)) {
        set(out, rule.backend, rule.variant, Reason.RULE);
        return;
      }
    }
    if (propagateHeader != null && honourPropagated(request, out)) {
      return;
    }
    if (key != null && arms.route(out.bucket, out)) {
      return;
    }
    if (key != null) {
      boolean inCanary = out.bucket < threshold;
      set(
          out,
          inCanary ? canary : stable,
          inCanary ? Variant.CANARY : Variant.STABLE,
          Reason.COHORT);
    } else if (split
        && threshold > 0
        && ThreadLocalRandom.current().nextInt(Cohorts.BUCKETS) < threshold) {
      set(out, canary, Variant.CANARY, Reason.ANONYMOUS);
    } else {
      set(out, stable, Variant.STABLE, Reason.ANONYMOUS);
    }
  }

  /**
   * Routes by the variant a trusted peer upstream chose ({@code propagate.header}, else with {@code
   * propagate.baggage} its baggage member) and returns true; false when there is none, it is not
   * {@code stable} or {@code canary}, the peer is not in {@code propagate.trustInbound}, or it is
   * {@code canary} while this table's canary share is 0 (a rolled-back canary gets no users).
   */
  private boolean honourPropagated(RequestView request, RoutingResult out) {
    String value = request.header(propagateHeader);
    if (value == null && propagateBaggage) {
      value = Baggage.value(request.header(BAGGAGE), propagateHeader);
    }
    if (value == null || !isIn(request.remoteAddress(), propagateTrusted)) {
      return false;
    }
    if (value.equalsIgnoreCase("canary")) {
      if (threshold == 0) {
        // This service's canary takes no users (not started, or rolled back): never send it any.
        return false;
      }
      set(out, canary, Variant.CANARY, Reason.PROPAGATED);
      return true;
    }
    if (value.equalsIgnoreCase("stable")) {
      set(out, stable, Variant.STABLE, Reason.PROPAGATED);
      return true;
    }
    if (arms.routeByName(value, out)) {
      out.reason = Reason.PROPAGATED;
      return true;
    }
    return false;
  }

  /** The header that carries the decision downstream, or {@code null} without propagation. */
  public String propagateHeader() {
    return propagateHeader;
  }

  /** True when the decision also travels as a W3C baggage member. */
  public boolean propagateBaggage() {
    return propagateBaggage;
  }

  /**
   * The first non-empty user key among the configured sources, or {@code null}; a header's is a
   * view of the request's bytes ({@link RequestView#headerValue}).
   */
  private CharSequence userKey(RequestView request) {
    String cookies = null;
    boolean cookiesRead = false;
    for (int i = 0; i < keyNames.length; i++) {
      CharSequence value;
      if (keyKinds[i] == UserKeySource.Kind.COOKIE) {
        if (!cookiesRead) {
          cookies = request.header(COOKIE);
          cookiesRead = true;
        }
        value = cookies == null ? null : Cookies.value(cookies, keyNames[i]);
      } else if (keyKinds[i] == UserKeySource.Kind.CLIENT_CERT) {
        value = request.clientCertificate(keyNames[i]);
      } else {
        value = request.headerValue(keyNames[i]);
      }
      if (value != null && value.length() > 0) {
        return value;
      }
    }
    return null;
  }

  /**
   * The address the override trust is decided on: the peer (or PROXY protocol source), or with
   * {@code override.trustForwardedFor: N} the N-th entry from the right of X-Forwarded-For.
   */
  private InetAddress clientAddress(RequestView request) {
    if (trustForwardedFor == 0) {
      return request.remoteAddress();
    }
    return ForwardedFor.fromRight(request.header(ForwardedFor.HEADER), trustForwardedFor);
  }

  private boolean isTrusted(InetAddress address) {
    return isIn(address, trusted);
  }

  private static boolean isIn(InetAddress address, Cidr[] cidrs) {
    if (address == null) {
      return false;
    }
    for (Cidr cidr : cidrs) {
      if (cidr.contains(address)) {
        return true;
      }
    }
    return false;
  }

  private static void set(RoutingResult out, String backend, Variant variant, Reason reason) {
    out.backend = backend;
    out.variant = variant;
    out.reason = reason;
  }

  private static double checkPercent(double percent) {
    if (!(percent >= 0 && percent <= 100)) {
      throw new IllegalArgumentException("canaryPercent: " + percent + " (expected: 0..100)");
    }
    return percent;
  }
}
