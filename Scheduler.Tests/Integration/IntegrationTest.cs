namespace Quorum.Tests.Integration;

/// <summary>
/// Base of the integration suite. Every fixture runs twice: on the in-process API stand-in, always,
/// and on a real cluster when <c>QUORUM_TEST_KUBECONFIG</c> is set (ignored otherwise). Each test gets
/// a fresh namespace, nodes, and the scheduler instances it starts, all removed afterwards.
/// </summary>
[TestFixture("stand-in")]
[TestFixture("real-cluster")]
[NonParallelizable]
public abstract class IntegrationTest(string cluster)
{
    private readonly List<SchedulerInstance> _instances = [];

    protected TestCluster Cluster { get; private set; } = null!;

    [SetUp]
    public async Task StartCluster()
    {
        var real = cluster == "real-cluster";
        if (real && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(TestCluster.KubeconfigVariable)))
            Assert.Ignore($"set {TestCluster.KubeconfigVariable} to a kubeconfig to run the integration suite against a real cluster");
        Cluster = await TestCluster.StartAsync(real);
    }

    [TearDown]
    public async Task StopCluster()
    {
        foreach (var i in _instances) await i.DisposeAsync();
        _instances.Clear();
        if (Cluster is not null) await Cluster.DisposeAsync();
        Cluster = null!;
    }

    protected async Task<SchedulerInstance> StartSchedulerAsync(string identity = "quorum-a", bool leaderElect = false, Action<Quorum.Configuration.SchedulerOptions>? configure = null)
    {
        var instance = await SchedulerInstance.StartAsync(Cluster, identity, leaderElect, configure);
        _instances.Add(instance);
        return instance;
    }

    /// <summary>
    /// Waits until every named pod is bound, and the scheduler that bound it has read the answer (the
    /// server shows a pod bound before the client's bind call returns and its transport records it);
    /// returns their nodes.
    /// </summary>
    protected async Task<IReadOnlyDictionary<string, string>> BoundAsync(params string[] pods)
    {
        IReadOnlyDictionary<string, string?> placements = new Dictionary<string, string?>();
        await TestCluster.WaitUntilAsync(async () =>
        {
            placements = await Cluster.PlacementsAsync();
            return pods.All(p => placements.GetValueOrDefault(p) is not null);
        }, $"{string.Join(", ", pods)} are bound");
        await TestCluster.WaitUntilAsync(() => Task.FromResult(pods.All(p => _instances.Any(i => i.Transport.Binds.Any(b => b.Pod == p && b.Committed)))),
            $"the binds of {string.Join(", ", pods)} are recorded");
        return pods.ToDictionary(p => p, p => placements[p]!);
    }

    protected static k8s.Models.V1PodCondition? PodScheduled(k8s.Models.V1Pod pod) => pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled");

    /// <summary>Gives the scheduler time to act (several passes) before asserting it did not.</summary>
    protected static Task SettleAsync() => Task.Delay(TimeSpan.FromSeconds(1.5));

    /// <summary>
    /// The Events about an object once one of <paramref name="reason"/> is there: the scheduler's status
    /// writer sends Events, conditions and PodGroup status as separate writes, so seeing one of them says
    /// nothing about when the others land.
    /// </summary>
    protected async Task<IReadOnlyList<k8s.Models.Eventsv1Event>> EventsOnceAsync(string name, string kind, string reason)
    {
        IReadOnlyList<k8s.Models.Eventsv1Event> events = [];
        await TestCluster.WaitUntilAsync(async () => (events = await Cluster.EventsAboutAsync(name, kind)).Any(e => e.Reason == reason),
            $"a {reason} Event about {kind} {name}");
        return events;
    }
}
