package io.canaryproxy.forwarding;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CompositeListenerTest {
  private final List<String> calls = new ArrayList<>();

  /** Counts exchanges; a subclass that overrides nothing must still be called. */
  private class Counting implements ProxyListener {
    private final String name;

    Counting(String name) {
      this.name = name;
    }

    @Override
    public void onExchangeComplete(Exchange exchange) {
      calls.add(name + ":" + exchange.status);
    }
  }

  private class Inheriting extends Counting {
    Inheriting() {
      super("inherited");
    }
  }

  @Test
  void everyListenerThatHandlesAnEventGetsItInOrder() {
    ProxyListener connectionsOnly =
        new ProxyListener() {
          @Override
          public void onClientConnection(int delta) {
            calls.add("connections:" + delta);
          }
        };
    CompositeListener composite =
        new CompositeListener(
            List.of(
                new Counting("first"),
                new ProxyListener() {},
                connectionsOnly,
                new Inheriting(),
                new Counting("last")));
    Exchange x = new Exchange();
    x.status = 204;

    composite.onExchangeComplete(x);
    composite.onClientConnection(1);

    assertThat(calls).containsExactly("first:204", "inherited:204", "last:204", "connections:1");
  }
}
