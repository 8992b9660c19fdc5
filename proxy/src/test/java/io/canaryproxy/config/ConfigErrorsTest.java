package io.canaryproxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One row per validation rule: a YAML snippet (added to two valid pools unless it starts with
 * {@code backends} or a comment) and the exact error lines it must produce.
 */
class ConfigErrorsTest {
  private static final String TWO_POOLS =
      "backends: {stable: {endpoints: [\"127.0.0.1:1\"]}, canary: {endpoints:"
          + " [\"127.0.0.1:2\"]}}\n";

  static Stream<Arguments> cases() {
    return Stream.of(
        // top level, types, unknown keys
        arguments(
            "colour: blue",
            "colour: unknown key (expected: one of listen, ioThreads, admin, backends, "
                + "routing, mirror, rollout, timeouts, limits, metrics, accessLog, drain, dns, tls, proxyProtocol)"),
        arguments(
            "routing: {canaryPrecent: 10}",
            "routing.canaryPrecent: unknown key (expected: one of stable, canary, userKey,"
                + " canaryPercent, salt, anonymous, override, rules, exposeVariantHeader,"
                + " anonymousCookie, propagate, experiments)"),
        arguments(
            "routing: 5",
            "routing: 5 (expected: a mapping with keys stable, canary, userKey, canaryPercent, "
                + "salt, anonymous, override, rules, exposeVariantHeader, anonymousCookie,"
                + " propagate, experiments)"),
        arguments("ioThreads: two", "ioThreads: \"two\" (expected: an integer, 1..1024)"),
        arguments("ioThreads: 1.5", "ioThreads: 1.5 (expected: an integer, 1..1024)"),
        arguments(
            "routing: {canaryPercent: ten}",
            "routing.canaryPercent: \"ten\" (expected: a number, 0..100)"),
        arguments("routing: {canaryPercent: 140}", "routing.canaryPercent: 140 (expected: 0..100)"),
        arguments(
            "routing: {canaryPercent: -0.5}", "routing.canaryPercent: -0.5 (expected: 0..100)"),
        arguments(
            "routing: {exposeVariantHeader: yes please}",
            "routing.exposeVariantHeader: \"yes please\" (expected: true or false)"),
        arguments(
            "routing: {anonymous: random}",
            "routing.anonymous: \"random\" (expected: stable | split | cookie)"),
        // anonymous visitors' cookie
        arguments(
            "routing: {anonymousCookie: {name: id}}",
            "routing.anonymousCookie: set while routing.anonymous is stable (expected: anonymous:"
                + " cookie)"),
        arguments(
            "routing: {anonymous: cookie, anonymousCookie: {name: \"my id\"}}",
            "routing.anonymousCookie.name: \"my id\" (expected: a cookie name: letters, digits"
                + " and !#$%&'*+-.^_`|~)"),
        arguments(
            "routing: {anonymous: cookie, anonymousCookie: {maxAge: 10000h}}",
            "routing.anonymousCookie.maxAge: \"10000h\" (expected: at most 9600h (400 days))"),
        arguments(
            "routing: {anonymous: cookie, anonymousCookie: {maxAge: 1y}}",
            "routing.anonymousCookie.maxAge: \"1y\" (expected: a duration such as 500ms, 10s, 2m"
                + " or 1h)"),
        arguments(
            "routing: {anonymous: cookie, anonymousCookie: {sameSite: none}}",
            "routing.anonymousCookie.sameSite: none without secure: true (expected: secure: true,"
                + " or strict | lax)"),
        arguments(
            "routing: {anonymous: cookie, anonymousCookie: {sameSite: loose}}",
            "routing.anonymousCookie.sameSite: \"loose\" (expected: strict | lax | none)"),
        arguments(
            "routing: {anonymous: cookie, anonymousCookie: {domain: x.org}}",
            "routing.anonymousCookie.domain: unknown key (expected: one of name, maxAge, secure,"
                + " httpOnly, sameSite)"),
        // experiments (A/B/n)
        arguments(
            "backends: {stable: {endpoints: [\"127.0.0.1:1\"]}, canary: {endpoints:"
                + " [\"127.0.0.1:2\"]}, b: {endpoints: [\"127.0.0.1:3\"]}}\n"
                + "routing: {experiments: [{name: B, backend: b, percent: 5}, {name: canary,"
                + " backend: b, percent: 5}, {name: x, backend: canary, percent: 5}, {name: y,"
                + " backend: nowhere, percent: 5}, {name: z, backend: b}, {name: z, backend: b,"
                + " percent: 81}]}",
            "routing.experiments[0].name: \"B\" (expected: lower-case letters, digits, - and _,"
                + " 1..32 characters, a letter first)\n"
                + "routing.experiments[1].name: \"canary\" (expected: a name other than stable,"
                + " canary, other, shadow)\n"
                + "routing.experiments[2].backend: \"canary\" (expected: a backend other than"
                + " routing.stable and routing.canary)\n"
                + "routing.experiments[3].backend: \"nowhere\" (expected: a name under backends:"
                + " stable, canary, b)\n"
                + "routing.experiments[4].percent: missing (expected: 0..100)\n"
                + "routing.experiments[5].name: \"z\" (expected: a name not used by another arm)\n"
                + "routing.experiments: the arms' percents add up to 101.0 (expected: at most 100)"),
        // propagation downstream
        arguments(
            "routing: {propagate: {header: \"x canary\"}}",
            "routing.propagate.header: \"x canary\" (expected: a header name)"),
        arguments(
            "routing: {propagate: {trustInbound: [\"fd00::/129\"]}}",
            "routing.propagate.trustInbound[0]: \"fd00::/129\" (expected: a prefix length"
                + " 0..128)"),
        arguments(
            "routing: {propagate: {baggage: maybe}}",
            "routing.propagate.baggage: \"maybe\" (expected: true or false)"),
        arguments(
            "routing: {propagate: {header: x-canary}, override: {header: X-Canary}}",
            "routing.propagate: header \"x-canary\" (expected: a header other than"
                + " override.header)"),
        // addresses
        arguments(
            "listen: 8080",
            "listen: 8080 (expected: host:port with port 0..65535, IPv6 as [::1]:80)"),
        arguments(
            "listen: \"127.0.0.1:65536\"",
            "listen: \"127.0.0.1:65536\" (expected: host:port with port 0..65535, IPv6 as"
                + " [::1]:80)"),
        arguments(
            "listen: \"::1:80\"",
            "listen: \"::1:80\" (expected: host:port with port 0..65535, IPv6 as [::1]:80)"),
        arguments(
            "admin: {listen: \"0.0.0.0:9901\"}",
            "admin.listen: \"0.0.0.0:9901\" (expected: a loopback address such as 127.0.0.1:9901,"
                + " or set admin.tokenFile)"),
        arguments(
            "admin: {listen: \"admin.example:9901\"}",
            "admin.listen: \"admin.example:9901\" (expected: a "
                + "loopback address such as 127.0.0.1:9901, or set admin.tokenFile)"),
        arguments(
            "admin: {readTokenFile: /run/read-token}",
            "admin.readTokenFile: \"/run/read-token\" (expected: set only together with"
                + " admin.tokenFile, the control token)"),
        arguments(
            "admin: {publicMetrics: yes please}",
            "admin.publicMetrics: \"yes please\" (expected: true or false)"),
        // backends
        arguments(
            "# no backends\nlisten: \"127.0.0.1:1\"",
            "backends: missing (expected: a mapping of pool names to "
                + "{endpoints: [host:port, ...]})"),
        arguments(
            "backends: {}",
            "backends: {} (expected: a mapping of pool names to {endpoints: [host:port, ...]})"),
        arguments(
            "backends: {stable: {endpoints: [\"127.0.0.1:1\"]}, canary: {}}",
            "backends.canary.endpoints: missing (expected: at least one host:port)"),
        arguments(
            "backends: {stable: {endpoints: [\"127.0.0.1:1\"]}, canary: {endpoints: []}}",
            "backends.canary.endpoints: [] (expected: a list of at least one host:port)"),
        arguments(
            "backends: {stable: {endpoints: [\"127.0.0.1:1\", \"h\"]}, canary: {endpoints:"
                + " [\"h:2\"]}}",
            "backends.stable.endpoints[1]: \"h\" (expected: host:port with port 0..65535, IPv6 as"
                + " [::1]:80)"),
        arguments(
            "backends: {stable: {endpoints: [\"h:1\"], maxConnections: 0}, canary: {endpoints:"
                + " [\"h:2\"]}}",
            "backends.stable.maxConnections: 0 (expected: 1..1000000)"),
        arguments(
            "backends: {stable: {endpoints: [\"h:1\"], weight: 3}, canary: {endpoints: [\"h:2\"]}}",
            "backends.stable.weight: unknown key (expected: one of endpoints, maxConnections, tls,"
                + " protocol)"),
        // backends.NAME.protocol
        arguments(
            "backends: {stable: {endpoints: [\"h:1\"], protocol: h3}, canary: {endpoints:"
                + " [\"h:2\"]}}",
            "backends.stable.protocol: \"h3\" (expected: http1 | h2c | h2)"),
        arguments(
            "backends: {stable: {endpoints: [\"h:1\"], protocol: h2}, canary: {endpoints:"
                + " [\"h:2\"]}}",
            "backends.stable.protocol: \"h2\" (expected: a tls section on this backend for h2, or"
                + " h2c for cleartext HTTP/2)"),
        arguments(
            "backends: {stable: {endpoints: [\"h:1\"]}, canary: {endpoints: [\"h:2\"], protocol:"
                + " h2c, tls: {insecureSkipVerify: true}}}",
            "backends.canary.protocol: \"h2c\" (expected: h2 with tls; h2c is cleartext HTTP/2)"),
        arguments(
            "backends: {stable: {endpoints: [\"h:1\"]}}",
            "routing.canary: \"canary\" (expected: a name under backends: stable)"),
        // routing references
        arguments(
            "routing: {canary: canry}",
            "routing.canary: \"canry\" (expected: a name under backends: stable, canary)"),
        arguments(
            "routing: {stable: canary}",
            "routing.canary: \"canary\" (expected: a backend other than routing.stable)"),
        arguments(
            "routing: {rules: [{match: {path: {prefix: /x}}, to: shadow}]}",
            "routing.rules[0].to: \"shadow\" (expected: a name under backends: stable, canary)"),
        arguments(
            "routing: {rules: [{match: {path: {prefix: /x}}}]}",
            "routing.rules[0].to: missing (expected: a backend name)"),
        // userKey
        arguments(
            "routing: {userKey: [{header: x-user}, {param: uid}]}",
            "routing.userKey[1]: {\"param\":\"uid\"} (expected: {header: NAME}, {cookie: NAME} or"
                + " {clientCert: subject|san})"),
        arguments(
            "routing: {userKey: [{header: a, cookie: b}]}",
            "routing.userKey[0]: {\"header\":\"a\",\"cookie\":\"b\"} (expected: {header: NAME},"
                + " {cookie: NAME} or {clientCert: subject|san})"),
        arguments(
            "routing: {userKey: x-user}",
            "routing.userKey: \"x-user\" (expected: a list of {header: NAME}, {cookie: NAME} or"
                + " {clientCert: subject|san})"),
        arguments(
            "routing: {userKey: [{clientCert: email}]}",
            "routing.userKey[0].clientCert: \"email\" (expected: subject | san)"),
        arguments(
            "routing: {userKey: [{clientCert: subject}]}",
            "routing.userKey[0].clientCert: subject (expected: a tls section with clientAuth:"
                + " optional or require)"),
        arguments(
            "routing: {override: {header: x-canary, trustForwardedFor: 20}}",
            "routing.override.trustForwardedFor: 20 (expected: 0..16)"),
        // tls
        arguments(
            "tls: {certFile: /c.pem}",
            "tls.keyFile: missing (expected: a PEM file holding the private key)"),
        arguments(
            "tls: {certFile: /c.pem, keyFile: /k.pem, clientAuth: require}",
            "tls.clientCaFile: missing (expected: a PEM file of CA certificates when"
                + " tls.clientAuth is require)"),
        arguments(
            "tls: {certFile: /c.pem, keyFile: /k.pem, protocols: [TLSv1.1]}",
            "tls.protocols[0]: \"TLSv1.1\" (expected: TLSv1.2 | TLSv1.3)"),
        arguments(
            "tls: {certFile: /c.pem, keyFile: /k.pem, clientAuth: maybe}",
            "tls.clientAuth: \"maybe\" (expected: none | optional | require)"),
        arguments("proxyProtocol: v2", "proxyProtocol: \"v2\" (expected: true or false)"),
        arguments(
            "backends: {stable: {endpoints: [\"127.0.0.1:1\"], tls: {certFile: /c.pem}},"
                + " canary: {endpoints: [\"127.0.0.1:2\"]}}",
            "backends.stable.tls.keyFile: missing (expected: certFile and keyFile together, for a"
                + " client certificate)"),
        // override
        arguments(
            "routing: {override: {trustedCidrs: [\"10.0.0.0/8\"]}}",
            "routing.override.header: missing (expected: a header name such as x-canary)"),
        arguments(
            "routing: {override: {header: x-canary, trustedCidrs: [\"10.0.0.0/8\","
                + " \"10.0.0.0/33\"]}}",
            "routing.override.trustedCidrs[1]: \"10.0.0.0/33\" (expected: a prefix length 0..32)"),
        arguments(
            "routing: {override: {header: x-canary, trustedCidrs: [\"localhost/8\"]}}",
            "routing.override.trustedCidrs[0]: \"localhost/8\" (expected: an IPv4 or IPv6 CIDR such"
                + " as 10.0.0.0/8 or fd00::/8; a bare address means one host)"),
        arguments(
            "routing: {override: {header: x-canary, trustedCidrs: [\"fd00::/129\"]}}",
            "routing.override.trustedCidrs[0]: \"fd00::/129\" (expected: a prefix length 0..128)"),
        // rules
        arguments(
            "routing: {rules: [{to: canary}]}",
            "routing.rules[0].match: missing (expected: at least one of header, cookie, path)"),
        arguments(
            "routing: {rules: [{match: {}, to: canary}]}",
            "routing.rules[0].match: {} (expected: at least one of header, cookie, path)"),
        arguments(
            "routing: {rules: [{match: {query: {equals: a}}, to: canary}]}",
            "routing.rules[0].match.query: unknown key (expected: one of header, cookie, path)\n"
                + "routing.rules[0].match: {\"query\":{\"equals\":\"a\"}} (expected: at least one"
                + " of header, cookie, path)"),
        arguments(
            "routing: {rules: [{match: {header: {name: x}}, to: canary}]}",
            "routing.rules[0].match.header: no operator (expected: exactly one of equals, prefix,"
                + " regex, present)"),
        arguments(
            "routing: {rules: [{match: {header: {name: x, equals: a, prefix: b}}, to: canary}]}",
            "routing.rules[0].match.header: equals and prefix (expected: exactly one of equals,"
                + " prefix, regex, present)"),
        arguments(
            "routing: {rules: [{match: {header: {equals: a}}, to: canary}]}",
            "routing.rules[0].match.header.name: missing (expected: a header name)"),
        arguments(
            "routing: {rules: [{match: {path: {prefix: /}}, to: canary}, "
                + "{match: {header: {name: x, regex: \"[a-\"}}, to: canary}]}",
            "routing.rules[1].match.header.regex: \"[a-\" (expected: a valid regular expression; "
                + "Illegal character range near index 3)"),
        arguments(
            "routing: {rules: [{match: {path: {present: true}}, to: canary}]}",
            "routing.rules[0].match.path.present: unknown key (expected: one of equals, prefix,"
                + " regex)"),
        arguments(
            "routing: {rules: [{match: {cookie: {name: c, prefix: a}}, to: canary}]}",
            "routing.rules[0].match.cookie.prefix: unknown key (expected: one of name, equals,"
                + " present)"),
        arguments(
            "routing: {rules: [{match: {cookie: {name: c, present: false}}, to: canary}]}",
            "routing.rules[0].match.cookie.present: false (expected: true)"),
        arguments(
            "routing: {rules: [{match: {path: {equals: 7}}, to: canary}]}",
            "routing.rules[0].match.path.equals: 7 (expected: a string; quote it)"),
        arguments("routing: {salt: 0123}", "routing.salt: 83 (expected: a string; quote it)"),
        arguments(
            "routing: {rules: [{match: {header: {name: x, equals: }}, to: canary}]}",
            "routing.rules[0].match.header.equals: null (expected: a string)"),
        // mirror
        arguments(
            "mirror: {to: canary}",
            "mirror.percent: missing (expected: 0..100; there is no implicit 100%)"),
        arguments(
            "mirror:",
            "mirror.to: missing (expected: a backend name)\n"
                + "mirror.percent: missing (expected: 0..100; there is no implicit 100%)"),
        arguments(
            "mirror: {to: shadw, percent: 5}",
            "mirror.to: \"shadw\" (expected: a name under backends: stable, canary)"),
        arguments("mirror: {to: canary, percent: 101}", "mirror.percent: 101 (expected: 0..100)"),
        // gRPC
        arguments(
            "mirror: {to: canary, percent: 5, grpc: streaming}",
            "mirror.grpc: \"streaming\" (expected: unary | all | none)"),
        arguments(
            "metrics: {grpc: {errorCodes: [UNAVAILABLE, 17, UNAVAILABEL, 13.5]}}",
            "metrics.grpc.errorCodes[1]: 17 (expected: a gRPC status name such as UNAVAILABLE, or a"
                + " code 0..16)\n"
                + "metrics.grpc.errorCodes[2]: \"UNAVAILABEL\" (expected: a gRPC status name such as"
                + " UNAVAILABLE, or a code 0..16)\n"
                + "metrics.grpc.errorCodes[3]: 13.5 (expected: a gRPC status name such as UNAVAILABLE, or"
                + " a code 0..16)"),
        arguments(
            "metrics: {grpc: {errorCodes: UNAVAILABLE}}",
            "metrics.grpc.errorCodes: \"UNAVAILABLE\" (expected: a list of gRPC status names or"
                + " codes)"),
        arguments(
            "metrics: {grpc: {codes: [14]}}",
            "metrics.grpc.codes: unknown key (expected: one of errorCodes)"),
        arguments(
            "mirror: {to: canary, percent: 5, from: [stable, shadow]}",
            "mirror.from[1]: \"shadow\" (expected: stable or canary)"),
        arguments(
            "mirror: {to: canary, percent: 5, methods: [GET, \"BAD METHOD\"]}",
            "mirror.methods[1]: \"BAD METHOD\" (expected: an HTTP method such as GET)"),
        arguments(
            "mirror: {to: canary, percent: 5, sampleBy: session}",
            "mirror.sampleBy: \"session\" (expected: request | user)"),
        arguments(
            "mirror: {to: canary, percent: 5, maxBodyBytes: 1MB}",
            "mirror.maxBodyBytes: \"1MB\" (expected: a size in bytes such as 1048576, 64KiB or"
                + " 10MiB)"),
        arguments(
            "mirror: {to: canary, percent: 5, timeout: 5}",
            "mirror.timeout: 5 (expected: a duration such as 500ms, 10s, 2m or 1h)"),
        arguments(
            "mirror: {to: canary, percent: 5, compare: {ignoreFields: [ts]}}",
            "mirror.compare.ignoreFields[0]: \"ts\" (expected: a JSON path such as $.timestamp)"),
        // mirror.ejection
        arguments(
            "mirror: {to: canary, percent: 5, ejection: 5}",
            "mirror.ejection: 5 (expected: a mapping with keys consecutiveFailures, baseTime,"
                + " maxTime)"),
        arguments(
            "mirror: {to: canary, percent: 5, ejection: {maxTme: 1m}}",
            "mirror.ejection.maxTme: unknown key (expected: one of consecutiveFailures, baseTime,"
                + " maxTime)"),
        arguments(
            "mirror: {to: canary, percent: 5, ejection: {consecutiveFailures: -1}}",
            "mirror.ejection.consecutiveFailures: -1 (expected: 0..1000000)"),
        arguments(
            "mirror: {to: canary, percent: 5, ejection: {consecutiveFailures: 2.5}}",
            "mirror.ejection.consecutiveFailures: 2.5 (expected: an integer, 0..1000000)"),
        arguments(
            "mirror: {to: canary, percent: 5, ejection: {baseTime: 0s}}",
            "mirror.ejection.baseTime: \"0s\" (expected: a duration > 0)"),
        arguments(
            "mirror: {to: canary, percent: 5, ejection: {maxTime: 10}}",
            "mirror.ejection.maxTime: 10 (expected: a duration such as 500ms, 10s, 2m or 1h)"),
        arguments(
            "mirror: {to: canary, percent: 5, ejection: {baseTime: 1m, maxTime: 30s}}",
            "mirror.ejection.maxTime: \"30s\" (expected: at least baseTime, 1m)"),
        arguments(
            "mirror: {to: canary, percent: 5, ejection: {baseTime: 10m}}",
            "mirror.ejection.baseTime: \"10m\" (expected: at most maxTime, 5m)"),
        // rollout
        arguments(
            "rollout: {stepInterval: 1m}",
            "rollout.steps: missing (expected: a non-empty list of canaryPercent values 0..100,"
                + " ascending)"),
        arguments(
            "rollout: {steps: []}",
            "rollout.steps: [] (expected: a non-empty list of canaryPercent values 0..100,"
                + " ascending)"),
        arguments("rollout: {steps: [1, 150]}", "rollout.steps[1]: 150 (expected: 0..100)"),
        arguments(
            "rollout: {steps: [1, 25, 5]}",
            "rollout.steps[2]: 5 (expected: greater than the previous step, 25)"),
        arguments(
            "rollout: {steps: [5, 5]}",
            "rollout.steps[1]: 5 (expected: greater than the previous step, 5)"),
        arguments(
            "rollout: {steps: [5], onFailure: retry}",
            "rollout.onFailure: \"retry\" (expected: rollback | pause)"),
        arguments(
            "rollout: {steps: [5], stepInterval: 0s}",
            "rollout.stepInterval: \"0s\" (expected: a duration > 0)"),
        arguments(
            "rollout: {steps: [5], webhook: \"ftp://x/y\"}",
            "rollout.webhook: \"ftp://x/y\" (expected: an http:// or https:// URL)"),
        arguments(
            "rollout: {steps: [5], shadowGate: true}",
            "rollout.shadowGate: true (expected: false unless a mirror section is configured)"),
        arguments(
            "rollout: {steps: [5], analysis: {latency: {percentile: 100}}}",
            "rollout.analysis.latency.percentile: 100 (expected: 0..100, exclusive)"),
        arguments(
            "rollout: {steps: [5], analysis: {latency: {p: 99}}}",
            "rollout.analysis.latency.p: unknown key (expected: one of percentile, tolerance,"
                + " minShift, tailTolerance, maxRatio)"),
        arguments(
            "rollout: {steps: [5], analysis: {latency: {tailTolerance: x}}}",
            "rollout.analysis.latency.tailTolerance: \"x\" (expected: a number, 0..100)"),
        arguments(
            "rollout: {steps: [5], analysis: {latency: {tolerance: -0.1}}}",
            "rollout.analysis.latency.tolerance: -0.1 (expected: 0..100)"),
        arguments(
            "rollout: {steps: [5], analysis: {latency: {tolerance: 0.2, maxRatio: 1.2}}}",
            "rollout.analysis.latency.maxRatio: 1.2 (expected: only one of maxRatio (deprecated)"
                + " and tolerance)"),
        arguments(
            "rollout: {steps: [5], analysis: {latency: {maxRatio: 0.9}}}",
            "rollout.analysis.latency.maxRatio: 0.9 (expected: a ratio 1..101 (deprecated: use"
                + " tolerance))"),
        arguments(
            "rollout: {steps: [5], analysis: {latency: {minShift: 1}}}",
            "rollout.analysis.latency.minShift: 1 (expected: a duration such as 500ms, 10s, 2m or"
                + " 1h)"),
        arguments(
            "rollout: {steps: [5], analysis: {latency: {minShift: 2m}}}",
            "rollout.analysis.latency.minShift: \"2m\" (expected: a duration 0s..60s)"),
        arguments(
            "rollout: {steps: [5], analysis: {errorRate: {tolerance: -1}}}",
            "rollout.analysis.errorRate.tolerance: -1 (expected: 0..100)"),
        arguments(
            "rollout: {steps: [5], analysis: {maxInconclusive: 2d}}",
            "rollout.analysis.maxInconclusive: \"2d\" (expected: a duration such as 500ms, 10s, 2m"
                + " or 1h)"),
        arguments(
            "rollout: {steps: [5], analysis: {maxInconclusive: 25h}}",
            "rollout.analysis.maxInconclusive: \"25h\" (expected: a duration 0s..24h (0s: no"
                + " bound))"),
        arguments(
            "rollout: {steps: [5], analysis: {onInconclusive: stop}}",
            "rollout.analysis.onInconclusive: \"stop\" (expected: rollback | pause)"),
        arguments(
            "rollout: {steps: [5], analysis: {errorRate: {maxIncrease: 2}}}",
            "rollout.analysis.errorRate.maxIncrease: 2 (expected: 0..1)"),
        arguments(
            "rollout: {steps: [5], analysis: {failureThreshold: 0}}",
            "rollout.analysis.failureThreshold: 0 (expected: 1..1000)"),
        arguments(
            "rollout: {steps: [5], analysis: {confidence: 1}}",
            "rollout.analysis.confidence: 1 (expected: 0..1, exclusive)"),
        arguments(
            "rollout: {steps: [5], analysis: {interval: 10 s}}",
            "rollout.analysis.interval: \"10 s\" (expected: a duration such as 500ms, 10s, 2m or"
                + " 1h)"),
        arguments(
            "rollout: {steps: [5], analysis: {warmup: x}}",
            "rollout.analysis.warmup: \"x\" (expected: a duration such as 500ms, 10s, 2m or 1h)"),
        arguments(
            "rollout: {steps: [5], analysis: {warmup: 30}}",
            "rollout.analysis.warmup: 30 (expected: a duration such as 500ms, 10s, 2m or 1h)"),
        arguments(
            "rollout: {steps: [5], analysis: {warmup: 2h}}",
            "rollout.analysis.warmup: \"2h\" (expected: a duration 0s..1h)"),
        arguments(
            "rollout: {steps: [5], analysis: {warmUp: 30s}}",
            "rollout.analysis.warmUp: unknown key (expected: one of interval, minRequests, latency,"
                + " errorRate, failureThreshold, confidence, maxMismatchRate, warmup, maxInconclusive,"
                + " onInconclusive, metrics)"),
        // lifecycle
        arguments(
            "rollout: {steps: [5], progressDeadline: 200h}",
            "rollout.progressDeadline: \"200h\" (expected: a duration 0s..168h (0s: no deadline))"),
        arguments(
            "rollout: {steps: [5], onProgressDeadline: stop}",
            "rollout.onProgressDeadline: \"stop\" (expected: rollback | pause)"),
        arguments("rollout: {steps: [5], history: 0}", "rollout.history: 0 (expected: 1..100)"),
        arguments(
            "rollout: {steps: [5], gates: {preStep: [{url: ftp://x/}]}}",
            "rollout.gates.preStep[0].url: \"ftp://x/\" (expected: an http:// or https:// URL)"),
        arguments(
            "rollout: {steps: [5], gates: {preRollout: [{url: 'http://g/', timeout: 0s}]}}",
            "rollout.gates.preRollout[0].timeout: \"0s\" (expected: a duration > 0)"),
        arguments(
            "rollout: {steps: [5], gates: {prePromotion: [{url: 'http://g/', retries: -1}]}}",
            "rollout.gates.prePromotion[0].retries: -1 (expected: 0..100)"),
        arguments(
            "rollout: {steps: [5], gates: {preDeploy: []}}",
            "rollout.gates.preDeploy: unknown key (expected: one of preRollout, preStep,"
                + " prePromotion)"),
        arguments(
            "rollout: {steps: [5], revision: {}}",
            "rollout.revision: neither header nor url (expected: exactly one of them)"),
        arguments(
            "rollout: {steps: [5], revision: {header: x-v, url: 'http://c/version'}}",
            "rollout.revision: both header and url (expected: exactly one of them)"),
        arguments(
            "rollout: {steps: [5], revision: {header: 'x v'}}",
            "rollout.revision.header: \"x v\" (expected: an HTTP header name such as"
                + " x-app-version)"),
        arguments(
            "rollout: {steps: [5], analysis: {metrics: [{name: m, prometheus: {url: 'http://p/',"
                + " query: up}}]}}",
            "rollout.analysis.metrics[0].threshold: missing (expected: {max} or {min} or both)"),
        arguments(
            "rollout: {steps: [5], analysis: {metrics: [{name: m, threshold: {max: 1}}]}}",
            "rollout.analysis.metrics[0].prometheus: missing (expected: {url, query})"),
        arguments(
            "rollout: {steps: [5], analysis: {metrics: [{name: m, prometheus: {url: 'http://p/'},"
                + " threshold: {max: 1}}]}}",
            "rollout.analysis.metrics[0].prometheus.query: missing (expected: a PromQL query)"),
        arguments(
            "rollout: {steps: [5], analysis: {metrics: [{name: m, prometheus: {url: 'http://p/',"
                + " query: up}, threshold: {max: 1, min: 2}}]}}",
            "rollout.analysis.metrics[0].threshold.min: 2 (expected: at most max, 1.0)"),
        arguments(
            "rollout: {steps: [5], analysis: {metrics: [{name: m, prometheus: {url: 'http://p/',"
                + " query: up}, threshold: {max: x}}]}}",
            "rollout.analysis.metrics[0].threshold.max: \"x\" (expected: a number)"),
        // other sections
        arguments(
            "timeouts: {connect: 2sec}",
            "timeouts.connect: \"2sec\" (expected: a duration such as 500ms, 10s, 2m or 1h)"),
        arguments(
            "timeouts: {connect: 0ms}", "timeouts.connect: \"0ms\" (expected: a duration > 0)"),
        arguments(
            "limits: {maxHeaderBytes: 16KB}",
            "limits.maxHeaderBytes: \"16KB\" (expected: a size in bytes such as 1048576, 64KiB or"
                + " 10MiB)"),
        arguments(
            "limits: {maxHeaderBytes: 4GiB}",
            "limits.maxHeaderBytes: \"4GiB\" (expected: 1..2147483647 bytes)"),
        arguments(
            "timeouts: {requestBody: 0s}",
            "timeouts.requestBody: \"0s\" (expected: a duration > 0)"),
        arguments(
            "timeouts: {tunnelIdle: 0s}", "timeouts.tunnelIdle: \"0s\" (expected: a duration > 0)"),
        arguments(
            "timeouts: {tunnelIdle: forever}",
            "timeouts.tunnelIdle: \"forever\" (expected: a duration such as 500ms, 10s, 2m or 1h)"),
        arguments(
            "limits: {requestBufferBytes: 1GiB}",
            "limits.requestBufferBytes: \"1GiB\" (expected: 0..16777216 bytes)"),
        arguments(
            "limits: {maxClientConnections: 0}",
            "limits.maxClientConnections: 0 (expected: 1..1000000)"),
        arguments(
            "limits: {maxClientConnections: lots}",
            "limits.maxClientConnections: \"lots\" (expected: an integer, 1..1000000)"),
        arguments(
            "metrics: {jvmMeters: maybe}",
            "metrics.jvmMeters: \"maybe\" (expected: true or false)"),
        arguments(
            "limits: {http2: {maxConcurrentStreams: 0}}",
            "limits.http2.maxConcurrentStreams: 0 (expected: 1..10000)"),
        arguments(
            "limits: {http2: {maxResets: many}}",
            "limits.http2.maxResets: \"many\" (expected: an integer, 1..1000000)"),
        arguments(
            "limits: {http2: {streamWindowBytes: 1KiB}}",
            "limits.http2.streamWindowBytes: \"1KiB\" (expected: 16384..16777216 bytes)"),
        arguments(
            "limits: {http2: {streamWindowBytes: 1MiB, connectionWindowBytes: 64KiB}}",
            "limits.http2.connectionWindowBytes: \"64KiB\" (expected: 1048576..1073741824 bytes)"),
        arguments(
            "limits: {http2: {rapidReset: 1}}",
            "limits.http2.rapidReset: unknown key (expected: one of maxConcurrentStreams,"
                + " headerTableBytes, maxResets, resetWindow, maxQueuedControlFrames, maxEmptyFrames,"
                + " maxSmallContinuationFrames, streamWindowBytes, connectionWindowBytes)"),
        arguments(
            "metrics: {significantDigits: 0}", "metrics.significantDigits: 0 (expected: 1..5)"),
        arguments(
            "metrics: {lowestMicros: 1000, highestMicros: 1500}",
            "metrics.highestMicros: 1500 (expected: at least 2 × metrics.lowestMicros = 2000)"),
        arguments("accessLog: {sampleRate: 1.5}", "accessLog.sampleRate: 1.5 (expected: 0..1)"),
        arguments(
            "drain: {timeout: soon}",
            "drain.timeout: \"soon\" (expected: a duration such as 500ms, 10s, 2m or 1h)"),
        arguments(
            "dns: {minTtl: 10s, maxTtl: 5s}",
            "dns.maxTtl: \"5s\" (expected: a duration no shorter than dns.minTtl)"),
        arguments(
            "dns: {minTtl: 1m}",
            "dns.minTtl: \"1m\" (expected: a duration no longer than dns.maxTtl, which defaults to 30s)"),
        arguments(
            "dns: {family: ipv4}",
            "dns.family: \"ipv4\" (expected: v4_preferred | v6_preferred | v4_only | v6_only | all)"),
        arguments(
            "dns: {servers: [\"kube-dns:53\"]}",
            "dns.servers[0]: \"kube-dns:53\" (expected: a literal ip:port with port 1..65535, such as 10.96.0.10:53)"),
        arguments(
            "dns: {servers: [\"10.96.0.10\"]}",
            "dns.servers[0]: \"10.96.0.10\" (expected: a literal ip:port with port 1..65535, such as 10.96.0.10:53)"),
        arguments(
            "dns: {queryTimeout: 0s}", "dns.queryTimeout: \"0s\" (expected: a duration > 0)"));
  }

  @ParameterizedTest
  @MethodSource("cases")
  void reportsThePathAndWhatWasExpected(String yaml, String expected) {
    String doc =
        yaml.startsWith("backends") || yaml.startsWith("#") ? yaml : TWO_POOLS + yaml + "\n";

    ConfigException e = catchThrowableOfType(() -> ConfigLoader.parse(doc), ConfigException.class);

    assertThat(e).as("no error for %s", yaml).isNotNull();
    assertThat(e.errors()).containsExactly(expected.split("\n"));
  }
}
