package io.streamfit.devkit.broker;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throwaway certificate authority and one broker certificate signed by it, for the local secure
 * broker. The CA's private key exists only in memory while the broker certificate is signed, so
 * nobody can issue further certificates that the truststore would accept.
 *
 * <p>Writes two PKCS12 files and a PEM file: the broker keystore (key and chain; the broker certificate is valid
 * for {@code localhost} and {@code 127.0.0.1}, as server and as client for the broker's internal
 * mutual-TLS listeners), the truststore (the CA certificate only) that Java clients need, and the
 * same CA certificate as PEM for librdkafka and OpenSSL.
 */
final class DevCertificates {

    /** The subject of the broker certificate, and so its principal on mutual-TLS listeners. */
    static final String BROKER_DN = "CN=streamfit-broker";

    /** How long the certificates are valid: a dev broker is restarted long before. */
    private static final Duration VALIDITY = Duration.ofDays(30);

    private static final String SIGNATURE = "SHA256withECDSA";

    private DevCertificates() {
    }

    /**
     * @param keystore           where the broker's key and certificate chain go (PKCS12)
     * @param keystorePassword   its password
     * @param truststore         where the CA certificate goes (PKCS12)
     * @param truststorePassword its password
     * @param caPem              where the CA certificate goes again, as PEM: what librdkafka's
     *                           {@code ssl.ca.location} and OpenSSL read
     */
    static void write(Path keystore, char[] keystorePassword, Path truststore, char[] truststorePassword, Path caPem)
            throws IOException, GeneralSecurityException {
        SecureRandom random = new SecureRandom();
        KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
        gen.initialize(256, random);
        KeyPair ca = gen.generateKeyPair();
        KeyPair broker = gen.generateKeyPair();
        Instant now = Instant.now();
        // A little in the past: clocks of the clients on the same machine may lag a bit.
        Date from = Date.from(now.minus(Duration.ofMinutes(5)));
        Date to = Date.from(now.plus(VALIDITY));
        X500Name caName = new X500Name("CN=streamfit dev CA " + now.getEpochSecond());
        try {
            X509v3CertificateBuilder caBuilder = new JcaX509v3CertificateBuilder(caName, serial(random), from, to,
                    caName, ca.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            X509Certificate caCert = sign(caBuilder, ca);
            X509v3CertificateBuilder brokerBuilder = new JcaX509v3CertificateBuilder(caName, serial(random), from, to,
                    new X500Name(BROKER_DN), broker.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                            new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                            new GeneralName(GeneralName.dNSName, "localhost"),
                            new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
            X509Certificate brokerCert = sign(brokerBuilder, ca);

            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("broker", broker.getPrivate(), keystorePassword, new Certificate[] {brokerCert, caCert});
            // The broker's internal listeners verify each other's certificate against the same CA.
            ks.setCertificateEntry("ca", caCert);
            store(ks, keystore, keystorePassword);

            KeyStore ts = KeyStore.getInstance("PKCS12");
            ts.load(null, null);
            ts.setCertificateEntry("ca", caCert);
            store(ts, truststore, truststorePassword);
            Files.writeString(caPem, pem(caCert), StandardCharsets.US_ASCII);
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("cannot sign the dev certificates with " + SIGNATURE, e);
        }
    }

    private static String pem(X509Certificate cert) throws GeneralSecurityException {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(cert.getEncoded());
        return "-----BEGIN CERTIFICATE-----\n" + body + "\n-----END CERTIFICATE-----\n";
    }

    private static BigInteger serial(SecureRandom random) {
        return new BigInteger(64, random);
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair issuer)
            throws OperatorCreationException, GeneralSecurityException {
        return new JcaX509CertificateConverter()
                .getCertificate(builder.build(new JcaContentSignerBuilder(SIGNATURE).build(issuer.getPrivate())));
    }

    private static void store(KeyStore store, Path file, char[] password) throws IOException, GeneralSecurityException {
        try (OutputStream out = Files.newOutputStream(file)) {
            store.store(out, password);
        }
    }
}
