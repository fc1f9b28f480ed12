using k8s;
using Quorum.Tests.ApiServer;

namespace Quorum.Tests.Integration;

/// <summary>The suite's cluster when no real one is configured: the in-process API stand-in on loopback.</summary>
public sealed class StandInCluster : TestCluster
{
    private readonly KubeApiStandIn _api;

    private StandInCluster(KubeApiStandIn api)
    {
        _api = api;
        Admin = api.CreateClient();
    }

    public static async Task<StandInCluster> StartAsync()
    {
        // Bookmarks every second rather than every minute, so runs see them as a long-lived watch does.
        var api = await KubeApiStandIn.StartNewAsync(new KubeApiStandInOptions { BookmarkInterval = TimeSpan.FromSeconds(1) }).ConfigureAwait(false);
        return new StandInCluster(api);
    }

    public override IKubernetes Admin { get; }

    public override bool IsReal => false;

    public override IKubernetes CreateClient(FaultyTransport transport) =>
        new k8s.Kubernetes(new KubernetesClientConfiguration { Host = _api.BaseAddress.ToString() }, transport);

    /// <summary>The API server's own way: its watch history is compacted.</summary>
    public override void ExpireWatchHistory(FaultyTransport transport) => _api.CompactHistory();

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync().ConfigureAwait(false);
        await _api.DisposeAsync().ConfigureAwait(false);
    }
}
