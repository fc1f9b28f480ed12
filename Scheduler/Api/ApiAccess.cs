using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using k8s;
using Microsoft.Extensions.Logging;
using Quorum.Configuration;
using Quorum.Core.Model;
using Quorum.Kubernetes;

namespace Quorum.Api;

/// <summary>
/// Who may call the gRPC API, per <c>grpcAuthentication.mode</c>: none (the address is loopback,
/// enforced at start-up), kubernetes (a bearer token reviewed by the API server, then a
/// SubjectAccessReview per call) or mtls (a client certificate that chains to clientCAFile; every
/// holder of such a certificate may make every call). The gRPC health service needs no credentials:
/// kubelet probes send none.
/// </summary>
public sealed partial class ApiAccess
{
    private const string CallerKey = "quorum.caller";
    private const string HealthService = "/grpc.health.v1.Health/";

    /// <summary>How long a TokenReview or SubjectAccessReview may take before the call is Unavailable.</summary>
    private static readonly TimeSpan ReviewTimeout = TimeSpan.FromSeconds(10);

    private readonly string _mode;
    private readonly KubernetesAccessReview? _reviews;
    private readonly X509Certificate2Collection? _clientCAs;
    private readonly ILogger<ApiAccess> _log;

    public ApiAccess(SchedulerOptions options, IKubernetes client, TimeProvider time, ILogger<ApiAccess> log)
    {
        _log = log;
        _mode = options.GrpcAuthentication.Mode;
        if (_mode == GrpcAuthenticationOptions.Kubernetes)
        {
            // Tokens in clear text off loopback are refused at start-up (SchedulerOptionsLoader).
            _reviews = new KubernetesAccessReview(client, time, Configuration.GoDuration.Parse(options.GrpcAuthentication.CacheTtl),
                options.GrpcAuthentication.Audiences);
        }
        if (_mode == GrpcAuthenticationOptions.Mtls)
        {
            _clientCAs = [];
            _clientCAs.ImportFromPemFile(options.GrpcAuthentication.ClientCAFile);
        }
    }

    public static AccessAttributes GetPod(ObjectKey pod) => new("get", "", "pods", pod.Namespace, pod.Name);

    public static AccessAttributes GetPodGroup(ObjectKey group) => new("get", PodGroupResource.ApiGroup, "podgroups", group.Namespace, group.Name);

    public static AccessAttributes CreatePods(string ns) => new("create", "", "pods", ns, null);

    public static AccessAttributes ListNodes { get; } = new("list", "", "nodes", null, null);

    /// <summary>Establishes the caller before any call runs; Unauthenticated when it cannot.</summary>
    public async Task AuthenticateAsync(ServerCallContext context)
    {
        if (_mode == GrpcAuthenticationOptions.None || context.Method.StartsWith(HealthService, StringComparison.Ordinal)) return;
        var caller = _mode == GrpcAuthenticationOptions.Mtls ? FromCertificate(context) : await FromTokenAsync(context).ConfigureAwait(false);
        context.UserState[CallerKey] = caller;
    }

    /// <summary>PermissionDenied unless the caller may do what <paramref name="attributes"/> say (kubernetes mode only).</summary>
    public async Task AuthorizeAsync(ServerCallContext context, AccessAttributes attributes)
    {
        if (_reviews is null) return;
        var caller = context.UserState.TryGetValue(CallerKey, out var c) ? (ApiCaller)c
            : throw new InvalidOperationException("AuthorizeAsync before AuthenticateAsync: the access interceptor is not installed");
        var (allowed, reason) = await ReviewAsync("SubjectAccessReview", ct => _reviews.AuthorizeAsync(caller, attributes, ct), context).ConfigureAwait(false);
        if (!allowed)
        {
            Log.Denied(_log, caller.User, attributes);
            throw ApiErrors.PermissionDenied($"user \"{caller.User}\" may not {attributes}{(reason.Length > 0 ? ": " + reason : "")}");
        }
    }

    private async Task<ApiCaller> FromTokenAsync(ServerCallContext context)
    {
        var header = context.RequestHeaders.GetValue("authorization");
        if (string.IsNullOrEmpty(header)) throw ApiErrors.Unauthenticated("no credentials: send the metadata \"authorization: Bearer TOKEN\" with a Kubernetes token");
        var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : "";
        if (token.Length == 0) throw ApiErrors.Unauthenticated("the authorization metadata must be \"Bearer TOKEN\"");
        var (caller, error) = await ReviewAsync("TokenReview", ct => _reviews!.AuthenticateAsync(token, ct), context).ConfigureAwait(false);
        if (caller is null)
        {
            Log.Unauthenticated(_log, context.Peer, error);
            throw ApiErrors.Unauthenticated($"invalid bearer token: {error}");
        }
        return caller;
    }

    /// <summary>
    /// A review sent to the API server, waiting at most <see cref="ReviewTimeout"/>: the API server
    /// refusing, unreachable or slow is Unavailable (the caller may retry), not Unknown.
    /// </summary>
    private async Task<T> ReviewAsync<T>(string review, Func<CancellationToken, Task<T>> send, ServerCallContext context)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        timeout.CancelAfter(ReviewTimeout);
        try
        {
            return await send(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException)
        {
            Log.ReviewFailed(_log, review, e.Message);
            throw ApiErrors.Unavailable($"could not check the caller with the API server ({review}): {e.Message}");
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            // Ours (ReviewTimeout) or the client library's own HTTP timeout.
            Log.ReviewFailed(_log, review, "timed out");
            throw ApiErrors.Unavailable($"could not check the caller with the API server ({review}): no answer within {ReviewTimeout.TotalSeconds:0} s");
        }
    }

    private ApiCaller FromCertificate(ServerCallContext context)
    {
        var cert = context.GetHttpContext().Connection.ClientCertificate
            ?? throw ApiErrors.Unauthenticated("no client certificate: this API requires one signed by its client CA");
        using var chain = ClientChain(_clientCAs!);
        if (!chain.Build(cert))
        {
            var why = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
            Log.Unauthenticated(_log, context.Peer, why);
            throw ApiErrors.Unauthenticated($"client certificate \"{cert.Subject}\" is not valid for this API: {why}");
        }
        return new ApiCaller(cert.GetNameInfo(X509NameType.SimpleName, false), [], "", new Dictionary<string, IReadOnlyList<string>>());
    }

    /// <summary>
    /// How a client certificate is checked: it must chain to <paramref name="clientCAs"/> alone, for
    /// client authentication. Nothing is fetched while a caller waits (its certificate could name any
    /// URL in its AIA extension), and revocation is not checked: to revoke, replace clientCAFile or
    /// issue short-lived certificates.
    /// </summary>
    internal static X509Chain ClientChain(X509Certificate2Collection clientCAs)
    {
        var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(clientCAs);
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.2", "Client Authentication"));
        return chain;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "gRPC call from {Peer} refused: {Reason}")]
        public static partial void Unauthenticated(ILogger logger, string peer, string reason);

        [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "gRPC call by {User} denied: {Attributes}")]
        public static partial void Denied(ILogger logger, string user, AccessAttributes attributes);

        [LoggerMessage(EventId = 22, Level = LogLevel.Warning, Message = "{Review} failed: {Error}")]
        public static partial void ReviewFailed(ILogger logger, string review, string error);
    }
}
