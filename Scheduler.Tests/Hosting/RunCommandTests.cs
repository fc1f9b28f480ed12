using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Quorum.Cli;
using Quorum.Configuration;

namespace Quorum.Tests.Hosting;

/// <summary>The scheduler host's operational endpoints, with an API server that is not there.</summary>
public class RunCommandTests
{
    [Test]
    public async Task Healthz_is_ok_and_readyz_says_not_synced_while_the_API_server_is_unreachable()
    {
        var options = new SchedulerOptions { HealthzBindAddress = "127.0.0.1:0", GrpcBindAddress = "127.0.0.1:0" };
        options.LeaderElection.LeaderElect = false;
        // A port nothing listens on: watches fail and retry; the process must stay healthy.
        var client = new k8s.Kubernetes(new k8s.KubernetesClientConfiguration { Host = "http://127.0.0.1:9" });
        await using var app = RunCommand.Build(options, client, "test-instance");
        await app.StartAsync();
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var http = new HttpClient { BaseAddress = new Uri(address) };
            var healthz = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
            Assert.That(healthz.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            var readyz = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
            Assert.That(readyz.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(await readyz.Content.ReadAsStringAsync(), Does.Contain("not synced"));
            var metrics = await http.GetAsync(new Uri("/metrics", UriKind.Relative));
            Assert.That(metrics.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        finally
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await app.StopAsync(stop.Token);
        }
    }

    [Test]
    public async Task A_bad_config_file_exits_2_before_anything_starts()
    {
        var path = Path.Combine(Path.GetTempPath(), $"quorum-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(path, "bindParallelism: 0\n");
        var code = await RunCommand.RunAsync(["--config", path]);
        Assert.That(code, Is.EqualTo(2));
    }
}
