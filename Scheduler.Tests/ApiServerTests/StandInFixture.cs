using k8s;
using Quorum.Tests.ApiServer;

namespace Quorum.Tests.ApiServerTests;

/// <summary>A fresh stand-in, a client on it, and the "ml" namespace, per test.</summary>
public abstract class StandInFixture
{
    protected KubeApiStandIn Api { get; private set; } = null!;

    protected IKubernetes Client { get; private set; } = null!;

    protected virtual KubeApiStandInOptions Options() => new();

    [SetUp]
    public async Task StartStandIn()
    {
        Api = await KubeApiStandIn.StartNewAsync(Options());
        Client = Api.CreateClient();
        Api.Put(Objects.Namespace("ml"));
    }

    [TearDown]
    public async Task StopStandIn()
    {
        Client.Dispose();
        await Api.DisposeAsync();
    }
}
