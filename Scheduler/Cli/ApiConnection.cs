using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Quorum.Cli;

/// <summary>
/// The flags every verb that asks a running scheduler shares, and the channel they describe:
/// <c>--address</c> (default 127.0.0.1:10260, clear-text HTTP/2), <c>--token</c>/<c>--token-file</c>
/// (a Kubernetes bearer token), <c>--ca-file</c> (TLS, trusting that CA), <c>--cert-file</c> and
/// <c>--key-file</c> (a client certificate for mtls), <c>-o table|json</c>.
/// </summary>
public sealed class ApiConnection : IDisposable
{
    public const string Flags = "[--address HOST:PORT] [--token TOKEN | --token-file FILE] [--ca-file FILE] [--cert-file FILE --key-file FILE] [-o table|json]";

    /// <summary>Response messages in proto3's JSON mapping, every field written even when empty.</summary>
    public static JsonFormatter Json { get; } = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true).WithIndentation());

    private GrpcChannel? _channel;

    public string Address { get; private set; } = "127.0.0.1:10260";
    public string Output { get; private set; } = "table";
    public string? Token { get; private set; }
    public string? CaFile { get; private set; }
    public string? CertFile { get; private set; }
    public string? KeyFile { get; private set; }

    /// <summary>Consumes a connection flag at <paramref name="i"/>; false when the flag is not one.</summary>
    public bool TryParse(string[] args, ref int i)
    {
        string Value(ref int at) => at + 1 < args.Length ? args[++at] : throw new ArgumentException($"flag {args[at]} needs a value");
        switch (args[i])
        {
            case "--address": Address = Value(ref i); return true;
            case "-o" or "--output":
                Output = Value(ref i);
                if (Output is not ("table" or "json")) throw new ArgumentException($"-o: \"{Output}\" is not one of table, json");
                return true;
            case "--token": Token = Value(ref i); return true;
            case "--token-file":
                var path = Value(ref i);
                try
                {
                    Token = File.ReadAllText(path).Trim();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new ArgumentException($"--token-file: {e.Message}");
                }
                return true;
            case "--ca-file": CaFile = Value(ref i); return true;
            case "--cert-file": CertFile = Value(ref i); return true;
            case "--key-file": KeyFile = Value(ref i); return true;
            default: return false;
        }
    }

    /// <summary>The token as call metadata (not call credentials, which gRPC sends only over TLS: loopback h2c is the default).</summary>
    public Metadata Headers => Token is null ? [] : new Metadata { { "authorization", $"Bearer {Token}" } };

    private bool Tls => CaFile is not null || CertFile is not null;

    private Uri Uri => Address.Contains("://", StringComparison.Ordinal) ? new Uri(Address) : new Uri($"{(Tls ? "https" : "http")}://{Address}");

    /// <summary>A warning when the token would cross the network in clear text (no TLS, not loopback); null otherwise.</summary>
    public string? ClearTextWarning
    {
        get
        {
            if (Token is null) return null;
            Uri uri;
            try
            {
                uri = Uri;
            }
            catch (UriFormatException)
            {
                return null;
            }
            if (uri.Scheme == Uri.UriSchemeHttps || uri.IsLoopback) return null;
            return $"warning: sending the token to {Address} without TLS: anyone on the way can read it and use it (pass --ca-file, or an https:// address)";
        }
    }

    public GrpcChannel Channel()
    {
        if (_channel is not null) return _channel;
        if ((CertFile is null) != (KeyFile is null)) throw new ArgumentException("--cert-file and --key-file go together");
        var uri = Uri;
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true };
        try
        {
            if (CertFile is not null) handler.SslOptions.ClientCertificates = [X509Certificate2.CreateFromPemFile(CertFile, KeyFile)];
            if (CaFile is not null)
            {
                var roots = new X509Certificate2Collection();
                roots.ImportFromPemFile(CaFile);
                handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, errors) =>
                {
                    if (errors == SslPolicyErrors.None) return true;
                    if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0 || cert is not X509Certificate2 c) return false;
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(c);
                };
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            handler.Dispose();
            throw new ArgumentException($"TLS files: {e.Message}");
        }
        _channel = GrpcChannel.ForAddress(uri, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        return _channel;
    }

    /// <summary>Runs a call; a refusal or an unreachable scheduler is printed and becomes exit code 2.</summary>
    public async Task<(T? Response, int Code)> CallAsync<T>(Func<Metadata, CancellationToken, AsyncUnaryCall<T>> call, TextWriter stderr, CancellationToken cancellationToken)
        where T : class
    {
        if (ClearTextWarning is { } warning) await stderr.WriteLineAsync(warning).ConfigureAwait(false);
        try
        {
            return (await call(Headers, cancellationToken).ConfigureAwait(false), 0);
        }
        catch (RpcException e)
        {
            // A status the server sent has no DebugException; one the client made up for a failed connection has.
            await stderr.WriteLineAsync(e.StatusCode == StatusCode.Unavailable && e.Status.DebugException is { } cause
                ? $"error: cannot reach the scheduler at {Address}: {cause.Message}"
                : $"error: {e.StatusCode}: {e.Status.Detail}").ConfigureAwait(false);
            return (null, 2);
        }
    }

    public void Dispose() => _channel?.Dispose();
}
