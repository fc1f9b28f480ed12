using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Quorum.Configuration;

namespace Quorum.Api;

/// <summary>
/// The gRPC listener on <c>grpcBindAddress</c>: HTTP/2 only, in clear text (h2c) unless a serving
/// certificate is configured, then TLS; in mtls mode the TLS handshake asks for a client
/// certificate but lets the call through without one, so <see cref="ApiAccess"/> can refuse it with
/// a gRPC status (Unauthenticated) rather than a torn connection.
/// </summary>
public sealed class GrpcEndpoint
{
    private ListenOptions? _listen;
    private bool _tls;

    /// <summary>Where the API listens once the host started (the real port when configured with 0).</summary>
    public Uri Address => _listen?.IPEndPoint is { } ep
        ? new Uri($"{(_tls ? "https" : "http")}://{(ep.Address.Equals(IPAddress.Any) ? IPAddress.Loopback : ep.Address)}:{ep.Port}")
        : throw new InvalidOperationException("the gRPC endpoint is not bound yet");

    public void Listen(KestrelServerOptions kestrel, SchedulerOptions options)
    {
        var auth = options.GrpcAuthentication;
        kestrel.Listen(IPEndPoint.Parse(options.GrpcBindAddress), listen =>
        {
            _listen = listen;
            listen.Protocols = HttpProtocols.Http2;
            if (auth.TlsCertFile.Length == 0) return;
            _tls = true;
            var certificate = X509Certificate2.CreateFromPemFile(auth.TlsCertFile, auth.TlsKeyFile);
            listen.UseHttps(certificate, https =>
            {
                if (auth.Mode != GrpcAuthenticationOptions.Mtls) return;
                https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
                // Checked per call against clientCAFile (ApiAccess), where a refusal can carry a status.
                https.ClientCertificateValidation = (_, _, _) => true;
            });
        });
    }
}
