using System.Net;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Quorum.Configuration;

/// <summary>Reads and validates the configuration file at start-up: every bad field is named with its value.</summary>
public static class SchedulerOptionsLoader
{
    private static readonly IDeserializer Yaml = new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build();

    /// <exception cref="OptionsException">The file cannot be read, is not valid YAML, or has invalid fields.</exception>
    public static SchedulerOptions Load(string? path)
    {
        if (path is null) return Validated(new SchedulerOptions(), "defaults");
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OptionsException([$"{path}: {e.Message}"]);
        }
        return Parse(text, path);
    }

    public static SchedulerOptions Parse(string yaml, string source = "config")
    {
        SchedulerOptions options;
        try
        {
            options = Yaml.Deserialize<SchedulerOptions?>(yaml) ?? new SchedulerOptions();
        }
        catch (YamlException e)
        {
            var why = e.InnerException?.Message ?? e.Message;
            throw new OptionsException([$"{source}: line {e.Start.Line}, column {e.Start.Column}: {why}"]);
        }
        return Validated(options, source);
    }

    private static SchedulerOptions Validated(SchedulerOptions o, string source)
    {
        var errors = new List<string>();
        void Error(string field, object? value, string rule) => errors.Add($"{source}: {field}: \"{value}\" {rule}");
        void Duration(string field, string value, TimeSpan min)
        {
            if (!GoDuration.TryParse(value, out var d)) Error(field, value, "is not a duration (e.g. 15s, 1m30s)");
            else if (d < min) Error(field, value, $"must be at least {min.TotalSeconds}s");
        }
        void Address(string field, string value)
        {
            if (!IPEndPoint.TryParse(value, out var ep) || ep.Port == 0) Error(field, value, "is not host:port (e.g. 127.0.0.1:10260)");
        }

        if (o.SchedulerNames.Count == 0) Error("schedulerNames", "[]", "must name at least one scheduler");
        foreach (var n in o.SchedulerNames.Where(n => string.IsNullOrWhiteSpace(n))) Error("schedulerNames", n, "must not be empty");
        if (string.IsNullOrWhiteSpace(o.DefaultTopology)) Error("defaultTopology", o.DefaultTopology, "must not be empty");
        if (o.BindParallelism is < 1 or > 256) Error("bindParallelism", o.BindParallelism, "must be between 1 and 256");
        if (o.ClientConnection.Qps <= 0) Error("clientConnection.qps", o.ClientConnection.Qps, "must be positive");
        if (o.ClientConnection.Burst < 1) Error("clientConnection.burst", o.ClientConnection.Burst, "must be at least 1");
        Duration("assumedPodTtl", o.AssumedPodTtl, TimeSpan.FromSeconds(1));
        if (o.PodInitialBackoffSeconds < 1) Error("podInitialBackoffSeconds", o.PodInitialBackoffSeconds, "must be at least 1");
        if (o.PodMaxBackoffSeconds < o.PodInitialBackoffSeconds) Error("podMaxBackoffSeconds", o.PodMaxBackoffSeconds, "must be at least podInitialBackoffSeconds");
        Duration("podMaxInUnschedulablePodsDuration", o.PodMaxInUnschedulablePodsDuration, TimeSpan.FromSeconds(1));
        Duration("starvationThreshold", o.StarvationThreshold, TimeSpan.Zero);
        var le = o.LeaderElection;
        Duration("leaderElection.leaseDuration", le.LeaseDuration, TimeSpan.FromSeconds(1));
        Duration("leaderElection.renewDeadline", le.RenewDeadline, TimeSpan.FromSeconds(1));
        Duration("leaderElection.retryPeriod", le.RetryPeriod, TimeSpan.FromMilliseconds(100));
        if (GoDuration.TryParse(le.LeaseDuration, out var lease) && GoDuration.TryParse(le.RenewDeadline, out var renew) && renew >= lease)
            Error("leaderElection.renewDeadline", le.RenewDeadline, "must be less than leaseDuration (as in kube-scheduler)");
        if (string.IsNullOrWhiteSpace(le.ResourceNamespace)) Error("leaderElection.resourceNamespace", le.ResourceNamespace, "must not be empty");
        if (string.IsNullOrWhiteSpace(le.ResourceName)) Error("leaderElection.resourceName", le.ResourceName, "must not be empty");
        Address("healthzBindAddress", o.HealthzBindAddress);
        Address("grpcBindAddress", o.GrpcBindAddress);
        var auth = o.GrpcAuthentication;
        void File(string field, string path, string? requiredFor)
        {
            if (path.Length == 0) { if (requiredFor is not null) Error(field, path, $"must be set for {requiredFor}"); }
            else if (!System.IO.File.Exists(path)) Error(field, path, "does not exist");
        }
        var exposed = IPEndPoint.TryParse(o.GrpcBindAddress, out var grpc) && !IPAddress.IsLoopback(grpc.Address);
        if (auth.Mode is not (GrpcAuthenticationOptions.None or GrpcAuthenticationOptions.Kubernetes or GrpcAuthenticationOptions.Mtls))
            Error("grpcAuthentication.mode", auth.Mode, "is not one of none, kubernetes, mtls");
        else if (auth.Mode == GrpcAuthenticationOptions.None && exposed)
            Error("grpcBindAddress", o.GrpcBindAddress, "is not a loopback address: set grpcAuthentication.mode to kubernetes or mtls to expose the gRPC API");
        // Bearer tokens are credentials (often a ServiceAccount's, valid for the API server): off
        // loopback they travel only over TLS.
        var tlsFor = auth.Mode == GrpcAuthenticationOptions.Mtls ? "mode mtls"
            : auth.Mode == GrpcAuthenticationOptions.Kubernetes && exposed ? "mode kubernetes on a non-loopback grpcBindAddress: bearer tokens must not travel in clear text"
            : null;
        File("grpcAuthentication.tlsCertFile", auth.TlsCertFile, tlsFor);
        File("grpcAuthentication.tlsKeyFile", auth.TlsKeyFile, tlsFor);
        File("grpcAuthentication.clientCAFile", auth.ClientCAFile, auth.Mode == GrpcAuthenticationOptions.Mtls ? "mode mtls" : null);
        if ((auth.TlsCertFile.Length == 0) != (auth.TlsKeyFile.Length == 0))
            Error("grpcAuthentication.tlsKeyFile", auth.TlsKeyFile, "must be set together with tlsCertFile");
        foreach (var a in auth.Audiences.Where(string.IsNullOrWhiteSpace)) Error("grpcAuthentication.audiences", a, "must not be empty");
        Duration("grpcAuthentication.cacheTtl", auth.CacheTtl, TimeSpan.Zero);
        if (o.GrpcMaxRequestBytes is < 1024 or > 64 * 1024 * 1024) Error("grpcMaxRequestBytes", o.GrpcMaxRequestBytes, "must be between 1024 and 67108864");
        if (o.GrpcRateLimit.Qps < 1) Error("grpcRateLimit.qps", o.GrpcRateLimit.Qps, "must be at least 1");
        if (o.GrpcRateLimit.Burst < 1) Error("grpcRateLimit.burst", o.GrpcRateLimit.Burst, "must be at least 1");
        var known = Quorum.Core.Profiles.SchedulerProfile.DefaultScorers.Select(s => s.Scorer.Name).ToList();
        var score = o.Profile.Plugins.Score;
        for (var i = 0; i < score.Enabled.Count; i++)
        {
            var p = score.Enabled[i];
            if (!known.Contains(p.Name)) Error($"profile.plugins.score.enabled[{i}].name", p.Name, $"is not a score plugin ({string.Join(", ", known)})");
            if (p.Weight is < 1 or > Quorum.Core.Profiles.SchedulerProfile.MaxWeight)
                Error($"profile.plugins.score.enabled[{i}].weight", p.Weight, $"must be between 1 and {Quorum.Core.Profiles.SchedulerProfile.MaxWeight}");
        }
        for (var i = 0; i < score.Disabled.Count; i++)
        {
            var p = score.Disabled[i];
            if (p.Name != "*" && !known.Contains(p.Name)) Error($"profile.plugins.score.disabled[{i}].name", p.Name, $"is not a score plugin ({string.Join(", ", known)}, or *)");
        }
        if (errors.Count > 0) throw new OptionsException(errors);
        return o;
    }
}

/// <summary>Configuration that cannot be used; one message per bad field.</summary>
public sealed class OptionsException : Exception
{
    public OptionsException(IReadOnlyList<string> errors) : base(string.Join(Environment.NewLine, errors)) => Errors = errors;

    public OptionsException() => Errors = [];
    public OptionsException(string message) : base(message) => Errors = [message];
    public OptionsException(string message, Exception inner) : base(message, inner) => Errors = [message];

    public IReadOnlyList<string> Errors { get; }
}
