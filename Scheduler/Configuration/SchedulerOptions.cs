using Quorum.Core.Placement;
using Quorum.Core.Profiles;

namespace Quorum.Configuration;

/// <summary>
/// The scheduler's configuration file (<c>--config quorum.yaml</c>). Names follow
/// KubeSchedulerConfiguration where the concept matches; defaults are written here.
/// </summary>
public sealed class SchedulerOptions
{
    /// <summary>spec.schedulerName values this instance schedules.</summary>
    public List<string> SchedulerNames { get; set; } = ["quorum"];

    /// <summary>Topology for groups that name none; missing Topology objects fall back to the flat node list.</summary>
    public string DefaultTopology { get; set; } = "default";

    /// <summary>Binds in flight at once.</summary>
    public int BindParallelism { get; set; } = 16;

    public ClientConnectionOptions ClientConnection { get; set; } = new();

    /// <summary>How long an assumed pod counts if its bind is never confirmed.</summary>
    public string AssumedPodTtl { get; set; } = "30s";

    /// <summary>kube-scheduler's podInitialBackoffSeconds.</summary>
    public int PodInitialBackoffSeconds { get; set; } = 1;

    /// <summary>kube-scheduler's podMaxBackoffSeconds.</summary>
    public int PodMaxBackoffSeconds { get; set; } = 10;

    /// <summary>kube-scheduler's podMaxInUnschedulablePodsDuration.</summary>
    public string PodMaxInUnschedulablePodsDuration { get; set; } = "5m";

    /// <summary>How long the first blocked gang waits before it reserves a domain.</summary>
    public string StarvationThreshold { get; set; } = "60s";

    public LeaderElectionOptions LeaderElection { get; set; } = new();

    /// <summary>/healthz, /readyz and /metrics.</summary>
    public string HealthzBindAddress { get; set; } = "0.0.0.0:10259";

    /// <summary>The gRPC API; loopback unless authentication is configured.</summary>
    public string GrpcBindAddress { get; set; } = "127.0.0.1:10260";

    /// <summary>Who may call the gRPC API; anything but loopback needs a mode other than none.</summary>
    public GrpcAuthenticationOptions GrpcAuthentication { get; set; } = new();

    /// <summary>Largest gRPC request message accepted; larger ones get ResourceExhausted.</summary>
    public int GrpcMaxRequestBytes { get; set; } = 1024 * 1024;

    /// <summary>Token bucket per caller address in front of every gRPC call.</summary>
    public GrpcRateLimitOptions GrpcRateLimit { get; set; } = new();

    /// <summary>Plugin settings, in KubeSchedulerConfiguration's shape (profiles[].plugins.score).</summary>
    public ProfileOptions Profile { get; set; } = new();

    /// <summary>
    /// The one profile this configuration describes: the scheduler, explain, the live and offline
    /// what-if all decide with it. Call only on validated options.
    /// </summary>
    public SchedulerProfile CreateProfile() =>
        SchedulerProfile.Default(
            new PlacementOptions { DefaultTopology = DefaultTopology, StarvationThreshold = GoDuration.Parse(StarvationThreshold) },
            Profile.Plugins.Score.Enabled.ToDictionary(p => p.Name, p => p.Weight, StringComparer.Ordinal),
            Profile.Plugins.Score.Disabled.Any(p => p.Name == "*")
                ? [.. SchedulerProfile.DefaultScorers.Select(s => s.Scorer.Name).Except(Profile.Plugins.Score.Enabled.Select(p => p.Name))]
                : [.. Profile.Plugins.Score.Disabled.Select(p => p.Name)]);
}

/// <summary>KubeSchedulerConfiguration.profiles[], for Quorum's one profile: only the plugins part.</summary>
public sealed class ProfileOptions
{
    public PluginsOptions Plugins { get; set; } = new();
}

/// <summary>The extension points whose plugins the file may tune; today the scorers.</summary>
public sealed class PluginsOptions
{
    public PluginSetOptions Score { get; set; } = new();
}

/// <summary>enabled (with weights) and disabled (by name, or "*" for every default one), as kube-scheduler's PluginSet.</summary>
public sealed class PluginSetOptions
{
    public List<PluginOptions> Enabled { get; set; } = [];
    public List<PluginOptions> Disabled { get; set; } = [];
}

public sealed class PluginOptions
{
    public string Name { get; set; } = "";
    public int Weight { get; set; }
}

/// <summary>Authentication of gRPC callers (docs/grpc-api.md).</summary>
public sealed class GrpcAuthenticationOptions
{
    public const string None = "none";
    public const string Kubernetes = "kubernetes";
    public const string Mtls = "mtls";

    /// <summary>none (loopback only), kubernetes (bearer token: TokenReview, then SubjectAccessReview) or mtls (client certificate signed by clientCAFile).</summary>
    public string Mode { get; set; } = None;

    /// <summary>Serving certificate and key (PEM). Required for mtls, and for kubernetes on a non-loopback address (no bearer tokens in clear text).</summary>
    public string TlsCertFile { get; set; } = "";

    public string TlsKeyFile { get; set; } = "";

    /// <summary>CA bundle (PEM) client certificates must chain to (mtls).</summary>
    public string ClientCAFile { get; set; } = "";

    /// <summary>How long a TokenReview or SubjectAccessReview answer is reused (as kube's delegated authn/authz caches).</summary>
    public string CacheTtl { get; set; } = "10s";

    /// <summary>
    /// kubernetes: the audiences a token must be meant for (TokenReview spec.audiences), e.g. [quorum]
    /// for tokens from <c>kubectl create token SA --audience quorum</c>. Empty: the API server's own
    /// audiences, so any token the API server takes is taken here too.
    /// </summary>
    public List<string> Audiences { get; set; } = [];
}

/// <summary>Requests per second and burst per caller address.</summary>
public sealed class GrpcRateLimitOptions
{
    public int Qps { get; set; } = 10;
    public int Burst { get; set; } = 20;
}

/// <summary>KubeSchedulerConfiguration.clientConnection.</summary>
public sealed class ClientConnectionOptions
{
    public float Qps { get; set; } = 50;
    public int Burst { get; set; } = 100;
}

/// <summary>KubeSchedulerConfiguration.leaderElection (component-base LeaderElectionConfiguration).</summary>
public sealed class LeaderElectionOptions
{
    public bool LeaderElect { get; set; } = true;
    public string LeaseDuration { get; set; } = "15s";
    public string RenewDeadline { get; set; } = "10s";
    public string RetryPeriod { get; set; } = "2s";
    public string ResourceNamespace { get; set; } = "quorum-system";
    public string ResourceName { get; set; } = "quorum";
}
