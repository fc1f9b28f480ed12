using Grpc.Core;
using Grpc.Net.Client;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Quorum.Api;
using Quorum.Cli;
using Quorum.Configuration;
using Quorum.Hosting;
using Quorum.Kubernetes;
using Quorum.Tests.ApiServer;
using Quorum.Tests.ApiServerTests;

namespace Quorum.Tests.Grpc;

/// <summary>
/// The whole binary against the API stand-in, with a cluster of two NVLink domains (r1: n1, n2; r2:
/// n3, n4; 8 GPUs a node, one block) where a pod already runs on n1, and a real gRPC client on
/// its API over loopback.
/// </summary>
public abstract class GrpcHostFixture : StandInFixture
{
    protected const string Clique = "nvidia.com/gpu.clique";

    private readonly List<WebApplication> _hosts = [];
    private readonly List<GrpcChannel> _channels = [];

    protected static SchedulerOptions Settings()
    {
        var o = new SchedulerOptions { HealthzBindAddress = "127.0.0.1:0", GrpcBindAddress = "127.0.0.1:0" };
        o.LeaderElection.LeaderElect = false;
        return o;
    }

    protected static V1Node RackNode(string name, string rack)
    {
        var node = Objects.Node(name);
        node.Metadata.Labels["network.topology.nvidia.com/block"] = "b1";
        node.Metadata.Labels[Clique] = rack;
        return node;
    }

    protected void SeedCluster()
    {
        Api.Put(new TopologyResource
        {
            Metadata = new V1ObjectMeta { Name = "default" },
            Spec = new TopologySpecResource
            {
                Levels = [new() { NodeLabel = "network.topology.nvidia.com/block" }, new() { NodeLabel = Clique }, new() { NodeLabel = "kubernetes.io/hostname" }],
            },
        });
        Api.Put(RackNode("n1", "r1"));
        Api.Put(RackNode("n2", "r1"));
        Api.Put(RackNode("n3", "r2"));
        Api.Put(RackNode("n4", "r2"));
        Api.Put(Objects.Pod("busy", node: "n1"));
    }

    /// <summary>A gang of <paramref name="pods"/> 8-GPU pods that must share one NVLink domain.</summary>
    protected void CliqueGang(string group, int pods)
    {
        var g = Objects.PodGroup(group, minMember: pods);
        g.Spec!.TopologyConstraint = new TopologyConstraintResource { Topology = "default", RequiredTopologyLevel = Clique };
        Api.Put(g);
        for (var i = 0; i < pods; i++)
            Api.Put(Objects.Pod($"{group}-{i}", labels: new Dictionary<string, string> { [WellKnown.PodGroupLabel] = group }));
    }

    /// <summary>Starts the scheduler and waits until its caches are synced.</summary>
    protected async Task<WebApplication> StartHostAsync(SchedulerOptions? options = null)
    {
        var host = RunCommand.Build(options ?? Settings(), Api.CreateClient(), $"grpc-{_hosts.Count}");
        _hosts.Add(host);
        await host.StartAsync();
        var state = host.Services.GetRequiredService<SchedulerState>();
        await KubeApiStandIn.WaitForAsync(() => state.Synced, because: "the scheduler lists the cluster");
        return host;
    }

    protected static Uri AddressOf(WebApplication host) => host.Services.GetRequiredService<GrpcEndpoint>().Address;

    protected Quorum.Api.V1Alpha1.Scheduler.SchedulerClient ApiClient(WebApplication host, HttpMessageHandler? handler = null)
    {
        var channel = GrpcChannel.ForAddress(AddressOf(host), new GrpcChannelOptions { HttpHandler = handler });
        _channels.Add(channel);
        return new Quorum.Api.V1Alpha1.Scheduler.SchedulerClient(channel);
    }

    protected GrpcChannel Channel(WebApplication host)
    {
        var channel = GrpcChannel.ForAddress(AddressOf(host));
        _channels.Add(channel);
        return channel;
    }

    protected static Metadata Bearer(string token) => new() { { "authorization", $"Bearer {token}" } };

    /// <summary>The status code a call ended with, and its detail.</summary>
    protected static async Task<RpcException> FailsAsync<T>(AsyncUnaryCall<T> call)
    {
        try
        {
            await call;
        }
        catch (RpcException e)
        {
            return e;
        }
        throw new AssertionException("the call succeeded; a refusal was expected");
    }

    [TearDown]
    public async Task StopHosts()
    {
        foreach (var c in _channels) c.Dispose();
        _channels.Clear();
        foreach (var h in _hosts)
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await h.StopAsync(stop.Token);
            await h.DisposeAsync();
        }
        _hosts.Clear();
    }
}
