package io.canaryproxy.coordination;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The fleet in etcd, under a prefix: each replica's session is a lease of {@code leaseTtl}; the
 * leader is whoever put {@code PREFIX/ctl/leader} (put-if-absent, attached to its lease, so it goes
 * when the lease expires); the state is {@code PREFIX/ctl/state}, written by a transaction that
 * compares its modification revision; evidence is {@code PREFIX/evidence/REPLICA/SEQ}, attached to
 * the publisher's lease.
 */
final class EtcdFleetStore implements FleetStore {
  private final EtcdClient etcd;
  private final String replicaId;
  private final Duration ttl;
  private final String leaderKey;
  private final String ctlPrefix;
  private final String stateKey;
  private final String evidencePrefix;
  private volatile long lease;
  private volatile long watchFrom;
  private volatile InputStream watchStream;

  EtcdFleetStore(EtcdClient etcd, String prefix, String replicaId, Duration ttl) {
    this.etcd = etcd;
    this.replicaId = replicaId;
    this.ttl = ttl;
    this.ctlPrefix = prefix + "/ctl/";
    this.leaderKey = ctlPrefix + "leader";
    this.stateKey = ctlPrefix + "state";
    this.evidencePrefix = prefix + "/evidence/";
  }

  @Override
  public String kind() {
    return "etcd";
  }

  @Override
  public String describe() {
    return etcd.endpoint() + " key " + stateKey;
  }

  @Override
  public void open() throws IOException {
    lease = etcd.grant(ttl);
  }

  @Override
  public boolean renew(boolean leading) throws IOException {
    if (lease != 0 && etcd.keepAlive(lease)) {
      return true;
    }
    // the lease expired while cut off: the leadership and the evidence went with it
    lease = etcd.grant(ttl);
    return false;
  }

  @Override
  public Versioned readState() throws IOException {
    EtcdClient.Range r = etcd.get(stateKey);
    if (r.kvs().isEmpty()) {
      return null;
    }
    EtcdClient.Kv kv = r.kvs().get(0);
    return new Versioned(kv.modRevision(), kv.value());
  }

  @Override
  public long compareAndSetState(byte[] value, long expected) throws IOException {
    return etcd.putIfRevision(stateKey, value, expected);
  }

  @Override
  public View view() throws IOException {
    EtcdClient.Range ctl = etcd.prefix(ctlPrefix);
    watchFrom = ctl.revision() + 1;
    Versioned state = null;
    String leader = null;
    for (EtcdClient.Kv kv : ctl.kvs()) {
      if (kv.key().equals(stateKey)) {
        state = new Versioned(kv.modRevision(), kv.value());
      } else if (kv.key().equals(leaderKey)) {
        leader = utf8(kv.value());
      }
    }
    return new View(state, leader);
  }

  @Override
  public Campaign campaign() throws IOException {
    if (etcd.putIfAbsent(leaderKey, replicaId.getBytes(StandardCharsets.UTF_8), lease)) {
      return new Campaign(true, replicaId);
    }
    EtcdClient.Range held = etcd.get(leaderKey);
    if (held.kvs().isEmpty()) {
      return new Campaign(false, null);
    }
    EtcdClient.Kv kv = held.kvs().get(0);
    String leader = utf8(kv.value());
    // still ours: the store came back before our lease expired, so nobody else could take over
    return new Campaign(replicaId.equals(leader) && kv.lease() == lease, leader);
  }

  @Override
  public boolean lapsed(String leader) {
    return false; // the leader key goes with its lease, and the watch reports the delete
  }

  @Override
  public void watch(Listener listener) throws IOException, InterruptedException {
    etcd.watch(
        ctlPrefix,
        EtcdClient.prefixEnd(ctlPrefix),
        watchFrom,
        in -> watchStream = in,
        events -> {
          for (EtcdClient.Event e : events) {
            if (e.kv().key().equals(leaderKey)) {
              listener.leader(e.deleted() ? null : utf8(e.kv().value()));
            } else if (!e.deleted() && e.kv().key().equals(stateKey)) {
              listener.state(e.kv().modRevision(), e.kv().value());
            }
            watchFrom = Math.max(watchFrom, e.kv().modRevision() + 1);
          }
        });
  }

  @Override
  public void stopWatch() {
    InputStream in = watchStream;
    if (in != null) {
      try {
        in.close();
      } catch (IOException e) {
        // closing is all that was wanted
      }
    }
  }

  @Override
  public void publish(long seq, byte[] evidence) throws IOException {
    etcd.put(evidencePrefix + replicaId + "/" + String.format("%019d", seq), evidence, lease);
  }

  @Override
  public List<byte[]> takeEvidence() throws IOException {
    List<byte[]> values = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    for (EtcdClient.Kv kv : etcd.prefix(evidencePrefix).kvs()) {
      keys.add(kv.key());
      values.add(kv.value());
    }
    etcd.delete(keys);
    return values;
  }

  @Override
  public void leave() throws IOException {
    long held = lease;
    if (held != 0) {
      etcd.revoke(held);
    }
  }

  @Override
  public void close() {
    etcd.close();
  }

  private static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
