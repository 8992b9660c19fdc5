package io.canaryproxy.metrics;

/**
 * Every meter name and label key, in Micrometer's dotted form. The Prometheus registry turns {@code
 * canary.proxy.requests} into {@code canary_proxy_requests_total}, timers get {@code _seconds};
 * names of meters registered by others (JVM, Netty allocator, mirroring) get the {@link #PREFIX}
 * added by {@link MicrometerBinding}.
 */
public final class MetricNames {
  /** Every exported meter name starts with this. */
  public static final String PREFIX = "canary.proxy.";

  /**
   * Counter {@code canary_proxy_requests_total{variant,status_class,grpc_status}}; {@code
   * grpc_status} is {@code none} for requests that are not gRPC, else a gRPC status name.
   */
  public static final String REQUESTS = PREFIX + "requests";

  /**
   * Histogram {@code canary_proxy_request_duration_seconds{variant}}: first request byte to last
   * response byte.
   */
  public static final String REQUEST_DURATION = PREFIX + "request.duration";

  /**
   * Timer histogram {@code canary_proxy_upstream_duration_seconds{variant}}: request sent to
   * response head.
   */
  public static final String UPSTREAM_DURATION = PREFIX + "upstream.duration";

  /** Counter {@code canary_proxy_upstream_failures_total{variant,type}}. */
  public static final String UPSTREAM_FAILURES = PREFIX + "upstream.failures";

  /**
   * Counter {@code canary_proxy_http2_goaways_total{type}}: HTTP/2 client connections the proxy
   * ended with a GOAWAY for an abuse or a protocol error ({@code type}: rapid_reset,
   * control_frame_flood, empty_frames, continuation_flood, header_list_size, flow_control,
   * protocol_error).
   */
  public static final String HTTP2_GOAWAYS = PREFIX + "http2.goaways";

  /** Gauge {@code canary_proxy_client_connections}: open client connections. */
  public static final String CLIENT_CONNECTIONS = PREFIX + "client.connections";

  /**
   * Client connections closed at once because {@code limits.maxClientConnections} were open
   * (counter; {@code canary_proxy_client_connections_rejected_total}).
   */
  public static final String CLIENT_CONNECTIONS_REJECTED = PREFIX + "client.connections.rejected";

  /** Gauge {@code canary_proxy_backend_connections}: open backend connections. */
  public static final String BACKEND_CONNECTIONS = PREFIX + "backend.connections";

  /** Counter {@code canary_proxy_upgrades_total{variant}}: upgrades a backend accepted (101). */
  public static final String UPGRADES = PREFIX + "upgrades";

  /** Gauge {@code canary_proxy_tunnels_open{variant}}: WebSocket (upgrade) tunnels open now. */
  public static final String TUNNELS_OPEN = PREFIX + "tunnels.open";

  /** Timer histogram {@code canary_proxy_tunnel_duration_seconds{variant}}: tunnel lifetimes. */
  public static final String TUNNEL_DURATION = PREFIX + "tunnel.duration";

  /**
   * Counter {@code canary_proxy_access_log_dropped_total}: access log lines dropped because the
   * queue was full.
   */
  public static final String ACCESS_LOG_DROPPED = PREFIX + "access.log.dropped";

  /** Prefix for the mirroring meters, e.g. {@code canary.proxy.mirror.requests}. */
  public static final String MIRROR_PREFIX = PREFIX + "mirror.";

  /**
   * Counter {@code canary_proxy_mirror_requests_total{outcome}}: every copy started, and how each
   * ended.
   */
  public static final String MIRROR_REQUESTS = MIRROR_PREFIX + "requests";

  /**
   * Counter {@code canary_proxy_mirror_comparisons_total{part,outcome}}: shadow vs primary, by
   * part.
   */
  public static final String MIRROR_COMPARISONS = MIRROR_PREFIX + "comparisons";

  /**
   * Counter {@code canary_proxy_mirror_baseline_comparisons_total{part,outcome}}: stable vs stable
   * (noise).
   */
  public static final String MIRROR_BASELINE_COMPARISONS = MIRROR_PREFIX + "baseline.comparisons";

  /** Gauge {@code canary_proxy_mirror_inflight}: shadow requests in flight. */
  public static final String MIRROR_INFLIGHT = MIRROR_PREFIX + "inflight";

  /** Counter {@code canary_proxy_rollout_events_total{type}}. */
  public static final String ROLLOUT_EVENTS = PREFIX + "rollout.events";

  /**
   * Gauge {@code canary_proxy_rollout_canary_percent}: the share of users routed to the canary now,
   * 0..100.
   */
  public static final String ROLLOUT_CANARY_PERCENT = PREFIX + "rollout.canary.percent";

  /**
   * Gauge {@code canary_proxy_rollout_state{state}}: 1 for the rollout's current state, 0 for the
   * others ({@code idle | progressing | paused | promoted | rolledBack}).
   */
  public static final String ROLLOUT_STATE = PREFIX + "rollout.state";

  /**
   * Counter {@code canary_proxy_rollout_inconclusive_looks_total}: judge looks that were
   * INCONCLUSIVE (too little data, or no decision yet).
   */
  public static final String ROLLOUT_INCONCLUSIVE = PREFIX + "rollout.inconclusive.looks";

  /** Gauge {@code canary_proxy_coordination_leader}: 1 while this replica leads the fleet. */
  public static final String COORDINATION_LEADER = PREFIX + "coordination.leader";

  /**
   * Gauge {@code canary_proxy_coordination_stale}: 1 while this replica cannot reach the fleet
   * store and routes by the last state it saw.
   */
  public static final String COORDINATION_STALE = PREFIX + "coordination.stale";

  /**
   * Timer {@code canary_proxy_coordination_store_seconds{outcome}}: fleet store calls (success or
   * failure) and their latency; watch streams are not counted.
   */
  public static final String COORDINATION_STORE = PREFIX + "coordination.store";

  /**
   * Counter {@code canary_proxy_dns_resolutions_total{outcome}}: success | failure, for endpoint
   * names.
   */
  public static final String DNS_RESOLUTIONS = PREFIX + "dns.resolutions";

  /**
   * Counter {@code canary_proxy_dns_changes_total}: times the address set of an endpoint name
   * changed.
   */
  public static final String DNS_CHANGES = PREFIX + "dns.changes";

  /** Counter {@code canary_proxy_config_reloads_total{outcome}}: success | failure. */
  public static final String CONFIG_RELOADS = PREFIX + "config.reloads";

  /** Label: {@code stable | canary | other | shadow}. */
  public static final String TAG_VARIANT = "variant";

  /** Label: {@code 1xx..5xx}, or {@code none} when no status was sent. */
  public static final String TAG_STATUS_CLASS = "status_class";

  /**
   * Label key {@code grpc_status}: {@code none}, or one of the 17 gRPC status names ({@code OK},
   * {@code UNAVAILABLE}, …).
   */
  public static final String TAG_GRPC_STATUS = "grpc_status";

  /** Label: {@code UpstreamFailure.tag()}. */
  public static final String TAG_TYPE = "type";

  /** Label: a rollout state name, {@code idle | progressing | paused | promoted | rolledBack}. */
  public static final String TAG_STATE = "state";

  /** Label for outcomes, e.g. of mirrored requests. */
  public static final String TAG_OUTCOME = "outcome";

  private MetricNames() {}
}
