package io.canaryproxy.routing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BaggageTest {
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      nullValues = "NULL",
      value = {
        "NULL                                | canary | v=canary",
        "NULL                                | NULL   | NULL",
        "userId=alice                        | canary | userId=alice,v=canary",
        "userId=alice,v=stable               | canary | userId=alice,v=canary",
        "v=stable;prop=1, userId=alice       | canary | userId=alice,v=canary",
        "userId=alice , v = stable , k=2;p   | NULL   | userId=alice,k=2;p",
        "v=stable                            | NULL   | NULL",
        "vv=1,av=2                           | stable | vv=1,av=2,v=stable",
        "a=1,,b=2                            | NULL   | a=1,b=2",
      })
  void rewriteRemovesEveryMemberOfTheKeyAndAppendsTheNewOne(
      String in, String value, String expected) {
    assertThat(Baggage.rewrite(in, "v", value)).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      nullValues = "NULL",
      value = {
        "v=canary                 | canary",
        "a=1, v=canary;ttl=3, b=2 | canary",
        " v = stable              | stable",
        "vv=canary                | NULL",
        "a=v                      | NULL",
        "a=1,v                    | NULL",
      })
  void valueReadsOneMemberWithoutItsProperties(String baggage, String expected) {
    assertThat(Baggage.value(baggage, "v")).isEqualTo(expected);
  }
}
