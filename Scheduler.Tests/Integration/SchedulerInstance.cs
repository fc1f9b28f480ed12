using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Quorum.Cli;
using Quorum.Configuration;
using Quorum.Hosting;

namespace Quorum.Tests.Integration;

/// <summary>
/// One running <c>quorum run</c> host (the real binary's composition, in-process) on a test cluster,
/// talking to it over HTTP through its own <see cref="FaultyTransport"/>.
/// </summary>
public sealed class SchedulerInstance : IAsyncDisposable
{
    private readonly IKubernetes _client;
    private bool _stopped;

    private SchedulerInstance(string identity, WebApplication app, IKubernetes client, FaultyTransport transport)
    {
        Identity = identity;
        App = app;
        _client = client;
        Transport = transport;
    }

    public string Identity { get; }

    public WebApplication App { get; }

    public FaultyTransport Transport { get; }

    public SchedulerState State => App.Services.GetRequiredService<SchedulerState>();

    /// <summary>Test settings: this run's scheduler name, topology and lease, short timers.</summary>
    public static SchedulerOptions Options(TestCluster cluster, bool leaderElect)
    {
        var o = new SchedulerOptions
        {
            SchedulerNames = [cluster.SchedulerName],
            DefaultTopology = cluster.TopologyName,
            HealthzBindAddress = "127.0.0.1:0",
            GrpcBindAddress = "127.0.0.1:0",
            PodInitialBackoffSeconds = 1,
            PodMaxBackoffSeconds = 1,
        };
        o.LeaderElection.LeaderElect = leaderElect;
        o.LeaderElection.ResourceNamespace = cluster.Namespace;
        o.LeaderElection.LeaseDuration = "2s";
        o.LeaderElection.RenewDeadline = "1500ms";
        o.LeaderElection.RetryPeriod = "200ms";
        return o;
    }

    public static async Task<SchedulerInstance> StartAsync(TestCluster cluster, string identity, bool leaderElect = false, Action<SchedulerOptions>? configure = null)
    {
        var options = Options(cluster, leaderElect);
        configure?.Invoke(options);
        var transport = new FaultyTransport();
        var client = cluster.CreateClient(transport);
        var app = RunCommand.Build(options, client, identity);
        await app.StartAsync().ConfigureAwait(false);
        return new SchedulerInstance(identity, app, client, transport);
    }

    /// <summary>Graceful shutdown, as on SIGTERM: the lease is released when this instance held it.</summary>
    public async Task StopAsync()
    {
        if (_stopped) return;
        _stopped = true;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await App.StopAsync(timeout.Token).ConfigureAwait(false);
    }

    /// <summary>
    /// As a crash looks from the API server: the instance vanishes from the network without a word
    /// (no lease release, binds in flight lost), then the process is gone.
    /// </summary>
    public async Task CrashAsync()
    {
        Transport.Partition(true);
        await StopAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await App.DisposeAsync().ConfigureAwait(false);
        _client.Dispose();
    }
}
