package io.canaryproxy.config;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads PEM certificates and private keys with the JDK alone, so that {@code validate} and the
 * running listener accept exactly the same files. Keys may be PKCS#8 ({@code BEGIN PRIVATE KEY}) or
 * PKCS#1 RSA ({@code BEGIN RSA PRIVATE KEY}, cert-manager's default encoding); encrypted keys are
 * refused. Each file is read with a bound of {@link #MAX_PEM_BYTES}.
 */
public final class PemFiles {
  /** Largest PEM file accepted, in bytes: 1 MiB. */
  public static final int MAX_PEM_BYTES = 1 << 20;

  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]+?)\\s*-----END \\1-----");

  /** rsaEncryption, as the AlgorithmIdentifier of a PKCS#8 wrapper of a PKCS#1 key. */
  private static final byte[] RSA_ALGORITHM = {
    0x30,
    0x0d,
    0x06,
    0x09,
    0x2a,
    (byte) 0x86,
    0x48,
    (byte) 0x86,
    (byte) 0xf7,
    0x0d,
    0x01,
    0x01,
    0x01,
    0x05,
    0x00
  };

  private PemFiles() {}

  /** Why a PEM file cannot be used; the message is the reason alone. */
  public static final class Invalid extends Exception {
    private static final long serialVersionUID = 1L;

    public Invalid(String reason) {
      super(reason, null, false, false);
    }
  }

  /** Every certificate of {@code file}, in file order; at least one. */
  public static List<X509Certificate> certificates(Path file) throws Invalid {
    List<X509Certificate> out = new ArrayList<>();
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      for (String[] block : blocks(file)) {
        if (block[0].equals("CERTIFICATE")) {
          out.add(
              (X509Certificate)
                  factory.generateCertificate(new ByteArrayInputStream(decode(block[1]))));
        }
      }
    } catch (CertificateException e) {
      throw new Invalid("not a valid certificate: " + e.getMessage());
    }
    if (out.isEmpty()) {
      throw new Invalid("no BEGIN CERTIFICATE block");
    }
    return out;
  }

  /** The one private key of {@code file}. */
  public static PrivateKey privateKey(Path file) throws Invalid {
    for (String[] block : blocks(file)) {
      switch (block[0]) {
        case "PRIVATE KEY":
          return pkcs8(decode(block[1]));
        case "RSA PRIVATE KEY":
          return pkcs8(wrapPkcs1(decode(block[1])));
        case "ENCRYPTED PRIVATE KEY":
          throw new Invalid("encrypted key (expected: an unencrypted key)");
        case "EC PRIVATE KEY":
          throw new Invalid(
              "SEC1 EC key (expected: PKCS#8; convert with openssl pkcs8 -topk8 -nocrypt)");
        default:
          // a certificate in the same file, EC PARAMETERS, ...: skipped
      }
    }
    throw new Invalid("no BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY block");
  }

  /**
   * Checks that {@code key} belongs to the certificate {@code leaf}, by signing a fixed text with
   * the key and verifying it with the certificate's public key.
   */
  public static void checkPair(X509Certificate leaf, PrivateKey key) throws Invalid {
    String algorithm =
        switch (key.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          case "Ed25519", "EdDSA" -> "Ed25519";
          default -> null;
        };
    if (algorithm == null) {
      throw new Invalid(key.getAlgorithm() + " key (expected: an RSA, EC or Ed25519 key)");
    }
    byte[] text = "canary-proxy key check".getBytes(StandardCharsets.US_ASCII);
    try {
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(text);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(leaf.getPublicKey());
      verifier.update(text);
      if (verifier.verify(signature)) {
        return;
      }
    } catch (GeneralSecurityException e) {
      // a key of another type than the certificate's: a mismatch too
    }
    throw new Invalid("does not match the certificate");
  }

  /**
   * One SHA-256 over the content of {@code files} in order (each bounded by {@link
   * #MAX_PEM_BYTES}), to tell a real change from a repeated file event; {@code null} when one of
   * them cannot be read right now (say mid-way through a Secret's symlink swap).
   */
  public static byte[] contentHash(List<Path> files) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      for (Path file : files) {
        if (!Files.isRegularFile(file)) {
          return null;
        }
        try (InputStream in = Files.newInputStream(file)) {
          digest.update(in.readNBytes(MAX_PEM_BYTES));
        }
        digest.update((byte) 0);
      }
      return digest.digest();
    } catch (IOException e) {
      return null;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<String[]> blocks(Path file) throws Invalid {
    String text;
    try {
      text = new String(ConfigFiles.read(file, MAX_PEM_BYTES), StandardCharsets.US_ASCII);
    } catch (ConfigFiles.Unreadable e) {
      throw new Invalid("cannot be read: " + e.getMessage());
    }
    List<String[]> out = new ArrayList<>();
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      out.add(new String[] {m.group(1), m.group(2)});
    }
    if (out.isEmpty()) {
      throw new Invalid("not PEM (no -----BEGIN ...----- block)");
    }
    return out;
  }

  private static byte[] decode(String base64) throws Invalid {
    try {
      return Base64.getMimeDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      throw new Invalid("invalid base64 in a PEM block");
    }
  }

  private static PrivateKey pkcs8(byte[] der) throws Invalid {
    for (String type : new String[] {"RSA", "EC", "Ed25519"}) {
      try {
        return KeyFactory.getInstance(type).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException e) {
        // try the next type
      }
    }
    throw new Invalid("not a valid RSA, EC or Ed25519 private key");
  }

  /** PKCS#8 {@code SEQUENCE {INTEGER 0, rsaEncryption, OCTET STRING pkcs1}} (RFC 5208 §5). */
  private static byte[] wrapPkcs1(byte[] pkcs1) {
    byte[] version = {0x02, 0x01, 0x00};
    byte[] octets = tlv(0x04, pkcs1);
    byte[] body = new byte[version.length + RSA_ALGORITHM.length + octets.length];
    System.arraycopy(version, 0, body, 0, version.length);
    System.arraycopy(RSA_ALGORITHM, 0, body, version.length, RSA_ALGORITHM.length);
    System.arraycopy(octets, 0, body, version.length + RSA_ALGORITHM.length, octets.length);
    return tlv(0x30, body);
  }

  /** A DER tag-length-value with a definite length (X.690 §8.1.3). */
  private static byte[] tlv(int tag, byte[] value) {
    int n = value.length;
    byte[] length;
    if (n < 0x80) {
      length = new byte[] {(byte) n};
    } else if (n < 0x100) {
      length = new byte[] {(byte) 0x81, (byte) n};
    } else if (n < 0x10000) {
      length = new byte[] {(byte) 0x82, (byte) (n >> 8), (byte) n};
    } else {
      length = new byte[] {(byte) 0x83, (byte) (n >> 16), (byte) (n >> 8), (byte) n};
    }
    byte[] out = new byte[1 + length.length + n];
    out[0] = (byte) tag;
    System.arraycopy(length, 0, out, 1, length.length);
    System.arraycopy(value, 0, out, 1 + length.length, n);
    return out;
  }
}
