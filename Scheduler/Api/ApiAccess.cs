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
            _reviews = new KubernetesAccessReview(client, time, Configuration.GoDuration.Parse(options.GrpcAuthentication.CacheTtl));
            if (options.GrpcAuthentication.TlsCertFile.Length == 0 && System.Net.IPEndPoint.TryParse(options.GrpcBindAddress, out var ep)
                && !System.Net.IPAddress.IsLoopback(ep.Address))
                Log.TokensInClearText(_log, options.GrpcBindAddress);
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
        bool allowed;
        string reason;
        try
        {
            (allowed, reason) = await _reviews.AuthorizeAsync(caller, attributes, context.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException)
        {
            Log.ReviewFailed(_log, "SubjectAccessReview", e.Message);
            throw ApiErrors.Unavailable($"could not check access with the API server: {e.Message}");
        }
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
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
            throw ApiErrors.Unauthenticated("the authorization metadata must be \"Bearer TOKEN\"");
        ApiCaller? caller;
        string error;
        try
        {
            (caller, error) = await _reviews!.AuthenticateAsync(header[7..].Trim(), context.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException)
        {
            Log.ReviewFailed(_log, "TokenReview", e.Message);
            throw ApiErrors.Unavailable($"could not review the token with the API server: {e.Message}");
        }
        if (caller is null)
        {
            Log.Unauthenticated(_log, context.Peer, error);
            throw ApiErrors.Unauthenticated($"invalid bearer token: {error}");
        }
        return caller;
    }

    private ApiCaller FromCertificate(ServerCallContext context)
    {
        var cert = context.GetHttpContext().Connection.ClientCertificate
            ?? throw ApiErrors.Unauthenticated("no client certificate: this API requires one signed by its client CA");
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_clientCAs!);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.2", "Client Authentication"));
        if (!chain.Build(cert))
        {
            var why = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
            Log.Unauthenticated(_log, context.Peer, why);
            throw ApiErrors.Unauthenticated($"client certificate \"{cert.Subject}\" is not valid for this API: {why}");
        }
        return new ApiCaller(cert.GetNameInfo(X509NameType.SimpleName, false), [], "", new Dictionary<string, IReadOnlyList<string>>());
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "gRPC call from {Peer} refused: {Reason}")]
        public static partial void Unauthenticated(ILogger logger, string peer, string reason);

        [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "gRPC call by {User} denied: {Attributes}")]
        public static partial void Denied(ILogger logger, string user, AccessAttributes attributes);

        [LoggerMessage(EventId = 22, Level = LogLevel.Warning, Message = "{Review} failed: {Error}")]
        public static partial void ReviewFailed(ILogger logger, string review, string error);

        [LoggerMessage(EventId = 23, Level = LogLevel.Warning, Message = "gRPC API on {Address} takes bearer tokens without TLS: set grpcAuthentication.tlsCertFile and tlsKeyFile")]
        public static partial void TokensInClearText(ILogger logger, string address);
    }
}
