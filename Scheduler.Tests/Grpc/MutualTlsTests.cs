using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Quorum.Api.V1Alpha1;
using Quorum.Configuration;

namespace Quorum.Tests.Grpc;

/// <summary>grpcAuthentication.mode mtls: a client certificate signed by the client CA is the credential.</summary>
public class MutualTlsTests : GrpcHostFixture
{
    private string _dir = "";

    [SetUp]
    public void CreateDirectory() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), $"quorum-mtls-{Guid.NewGuid():N}"));

    [TearDown]
    public void RemoveDirectory() => Directory.Delete(_dir, recursive: true);

    private static X509Certificate2 Authority(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
    }

    private static X509Certificate2 Leaf(string name, X509Certificate2 issuer, bool server)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (server)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
        }
        // Within the issuer's validity: "now + 1h" taken a second after the CA's own would outlive it.
        using var signed = request.Create(issuer, issuer.NotBefore, issuer.NotAfter, RandomNumberGenerator.GetBytes(8));
        return signed.CopyWithPrivateKey(key);
    }

    private string Pem(string file, string pem)
    {
        var path = Path.Combine(_dir, file);
        File.WriteAllText(path, pem);
        return path;
    }

    private static SocketsHttpHandler Handler(X509Certificate2 serverCa, X509Certificate2? client) => new SocketsHttpHandler
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            ClientCertificates = client is null ? null : [client],
            RemoteCertificateValidationCallback = (_, cert, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(serverCa);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return cert is X509Certificate2 c && chain.Build(c);
            },
        },
    };

    [Test]
    public async Task A_client_certificate_signed_by_the_client_CA_is_accepted_and_none_or_an_unsigned_one_is_Unauthenticated()
    {
        using var serverCa = Authority("quorum-serving-ca");
        using var clientCa = Authority("quorum-client-ca");
        using var server = Leaf("quorum", serverCa, server: true);
        using var client = Leaf("platform-team", clientCa, server: false);
        using var otherCa = Authority("someone-else");
        using var stranger = Leaf("stranger", otherCa, server: false);
        var options = Settings();
        options.GrpcAuthentication.Mode = GrpcAuthenticationOptions.Mtls;
        options.GrpcAuthentication.TlsCertFile = Pem("tls.crt", server.ExportCertificatePem());
        options.GrpcAuthentication.TlsKeyFile = Pem("tls.key", server.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        options.GrpcAuthentication.ClientCAFile = Pem("client-ca.crt", clientCa.ExportCertificatePem());
        SeedCluster();
        var host = await StartHostAsync(options);
        Assert.That(AddressOf(host).Scheme, Is.EqualTo("https"));

        var answer = await ApiClient(host, Handler(serverCa, client)).CapacityAsync(new CapacityRequest());
        Assert.That(answer.Cluster.GpuTotal, Is.EqualTo(32));

        var none = await FailsAsync(ApiClient(host, Handler(serverCa, null)).CapacityAsync(new CapacityRequest()));
        Assert.That((none.StatusCode, none.Status.Detail), Is.EqualTo((StatusCode.Unauthenticated, "no client certificate: this API requires one signed by its client CA")));
        var unsigned = await FailsAsync(ApiClient(host, Handler(serverCa, stranger)).CapacityAsync(new CapacityRequest()));
        Assert.That(unsigned.StatusCode, Is.EqualTo(StatusCode.Unauthenticated), unsigned.Status.Detail);
        Assert.That(unsigned.Status.Detail, Does.StartWith("client certificate \"CN=stranger\" is not valid for this API"));
    }

    [Test]
    public void Client_certificates_are_checked_against_clientCAFile_alone_fetching_nothing()
    {
        using var clientCa = Authority("quorum-client-ca");

        using var chain = Quorum.Api.ApiAccess.ClientChain([clientCa]);

        // A caller's certificate names URLs (AIA, CRL distribution points): the scheduler must not
        // fetch them while the call waits. Revocation: replace clientCAFile (docs/grpc-api.md).
        Assert.That(chain.ChainPolicy.DisableCertificateDownloads, Is.True);
        Assert.That(chain.ChainPolicy.RevocationMode, Is.EqualTo(X509RevocationMode.NoCheck));
        Assert.That(chain.ChainPolicy.TrustMode, Is.EqualTo(X509ChainTrustMode.CustomRootTrust));
        Assert.That(chain.ChainPolicy.CustomTrustStore.Cast<X509Certificate2>().Select(c => c.Subject), Is.EqualTo(new[] { "CN=quorum-client-ca" }));
    }
}
