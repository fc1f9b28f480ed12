using System.Net;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Quorum.Api;
using Quorum.Configuration;
using Quorum.Hosting;
using Quorum.Kubernetes;

namespace Quorum.Cli;

/// <summary>
/// <c>quorum run [--kubeconfig PATH] [--config quorum.yaml] [--leader-elect=true|false]</c>: the
/// scheduler. Flag names follow kube-scheduler's. In a pod it uses the in-cluster config.
/// </summary>
public static class RunCommand
{
    public const string Usage = "usage: quorum run [--kubeconfig PATH] [--config FILE] [--leader-elect=true|false]";

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        string? kubeconfig = null, config = null;
        bool? leaderElect = null;
        for (var i = 0; i < args.Length; i++)
        {
            var (flag, inline) = args[i].Split('=', 2) is [var f, var v] ? (f, v) : (args[i], null);
            string Value() => inline ?? (i + 1 < args.Length ? args[++i] : throw new ArgumentException($"flag {flag} needs a value"));
            switch (flag)
            {
                case "--kubeconfig": kubeconfig = Value(); break;
                case "--config": config = Value(); break;
                case "--leader-elect":
                    var text = inline ?? "true";
                    leaderElect = bool.TryParse(text, out var b) ? b : throw new ArgumentException($"--leader-elect: \"{text}\" is not true or false");
                    break;
                default: throw new ArgumentException($"unknown flag {flag}");
            }
        }

        SchedulerOptions options;
        try
        {
            options = SchedulerOptionsLoader.Load(config);
        }
        catch (OptionsException e)
        {
            foreach (var line in e.Errors) await Console.Error.WriteLineAsync($"error: {line}").ConfigureAwait(false);
            return 2;
        }
        if (leaderElect is { } le) options.LeaderElection.LeaderElect = le;

        KubernetesClientConfiguration clientConfig;
        try
        {
            clientConfig = kubeconfig is not null ? KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig)
                : KubernetesClientConfiguration.IsInCluster() ? KubernetesClientConfiguration.InClusterConfig()
                : KubernetesClientConfiguration.BuildDefaultConfig();
        }
        catch (Exception e) when (e is k8s.Exceptions.KubeConfigException or IOException)
        {
            await Console.Error.WriteLineAsync($"error: --kubeconfig: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        using var limiter = new ClientRateLimitHandler(options.ClientConnection.Qps, options.ClientConnection.Burst);
        using var app = Build(options, new k8s.Kubernetes(clientConfig, limiter), Identity());
        await app.RunAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }

    /// <summary>
    /// The scheduler as a web host: the scheduling service, /healthz, /readyz and /metrics on
    /// healthzBindAddress, and the gRPC API (with reflection and gRPC health) on grpcBindAddress.
    /// </summary>
    public static WebApplication Build(SchedulerOptions options, IKubernetes client, string identity)
    {
        var builder = WebApplication.CreateSlimBuilder();
        // One log line per probe and scrape is noise; appsettings.json says the same, but it is read
        // only when the working directory holds it.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        var grpcEndpoint = new GrpcEndpoint();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPEndPoint.Parse(options.HealthzBindAddress));
            grpcEndpoint.Listen(k, options);
        });
        builder.Services.AddSingleton(grpcEndpoint);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(client);
        builder.Services.AddSingleton(TimeProvider.System);
        var state = new SchedulerState { Identity = identity };
        builder.Services.AddSingleton(state);
        builder.Services.AddSingleton<SchedulerMetrics>();
        builder.Services.AddHostedService<SchedulerHost>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(15));
        builder.Services.AddOpenTelemetry()
            .WithMetrics(m => m.AddMeter(SchedulerMetrics.MeterName).AddPrometheusExporter())
            .WithTracing(t =>
            {
                t.AddSource(SchedulerMetrics.Tracing.Name);
                // Configured by the standard OTEL_EXPORTER_OTLP_* variables; without an endpoint there
                // is no collector to send to (the exporter would retry localhost:4317 forever).
                if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"))) t.AddOtlpExporter();
            });

        builder.Services.AddSingleton<ApiAccess>();
        builder.Services.AddSingleton<WhatIfWorkspace>();
        builder.Services.AddSingleton<ApiAccessInterceptor>();
        builder.Services.AddSingleton<RateLimitInterceptor>();
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = options.GrpcMaxRequestBytes;
            // Rate first: a flood must not reach the API server's token reviews.
            o.Interceptors.Add<RateLimitInterceptor>();
            o.Interceptors.Add<ApiAccessInterceptor>();
        });
        builder.Services.AddGrpcReflection();
        builder.Services.AddGrpcHealthChecks(o => o.UseHealthChecksCache = false)
            .AddCheck("caches-synced", () => state.Synced ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("caches not synced"));

        var app = builder.Build();
        app.MapGet("/healthz", () => Results.Text("ok"));
        // A standby whose election fails stays ready (a restarting API server must not take every
        // replica out), but says why it cannot lead.
        app.MapGet("/readyz", (SchedulerState s) => s.Synced
            ? Results.Text($"ok ({(s.Leader ? "leader" : "standby")} {s.Identity})"
                + (!s.Leader && s.ElectionError is { } why ? $"; leader election failing: {why}" : ""))
            : Results.Text("caches not synced", statusCode: StatusCodes.Status503ServiceUnavailable));
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapGrpcService<SchedulerService>();
        app.MapGrpcReflectionService();
        app.MapGrpcHealthChecksService();
        return app;
    }

    /// <summary>The leader-election identity; the Deployment sets it to the pod's name.</summary>
    internal const string IdentityVariable = "POD_NAME";

    private static string Identity()
    {
        var pod = Environment.GetEnvironmentVariable(IdentityVariable);
        return string.IsNullOrEmpty(pod) ? $"{Environment.MachineName}_{Guid.NewGuid():N}"[..Math.Min(Environment.MachineName.Length + 9, 63)] : pod;
    }
}
