using System.Diagnostics;
using System.Text.Json;
using System.Xml.Linq;
using k8s.Models;

namespace Quorum.Tests.Manifests;

/// <summary>
/// The Dockerfile at the repository root. No Docker engine here, so: its instructions are checked
/// against the projects and the Deployment, and its build stage is replayed with the machine's SDK
/// from exactly the files it copies (see <see cref="DockerBuildReplay"/>).
/// </summary>
public class DockerfileTests
{
    private static readonly string Root = TestPaths.RepoRoot;
    private static readonly Dockerfile Image = Dockerfile.Parse(File.ReadAllText(Path.Combine(Root, "Dockerfile")));
    private static readonly DockerIgnore Ignore = new(File.ReadAllText(Path.Combine(Root, ".dockerignore")));

    private static string Property(string file, string name) =>
        XDocument.Load(Path.Combine(Root, file)).Descendants(name).Single().Value;

    private static (long User, long? Group) ImageUser()
    {
        var user = Image.Final.Last("USER")?.Args.Single() ?? throw new AssertionException("the final stage sets no USER: it would run as root");
        var parts = user.Split(':');
        Assert.That(long.TryParse(parts[0], out var uid), Is.True, $"USER {user} is numeric, so the kubelet can check runAsNonRoot");
        return (uid, parts.Length > 1 ? long.Parse(parts[1]) : null);
    }

    [Test]
    public void The_image_runs_as_the_non_root_user_the_Deployment_runs_as()
    {
        var (uid, gid) = ImageUser();
        Assert.That(uid, Is.Not.EqualTo(0L));
        var pod = ShippedManifests.Single<V1Deployment>("quorum").Spec.Template.Spec;
        var container = pod.Containers.Single();
        Assert.That(container.SecurityContext?.RunAsUser ?? pod.SecurityContext?.RunAsUser, Is.EqualTo(uid));
        if (gid is not null) Assert.That(container.SecurityContext?.RunAsGroup ?? pod.SecurityContext?.RunAsGroup, Is.EqualTo(gid));
    }

    [Test]
    public void The_base_images_are_the_target_framework_s_NET_and_the_runtime_image_is_chiselled_ASP_NET_Core()
    {
        var framework = Property("Directory.Build.props", "TargetFramework");
        var version = framework["net".Length..];
        Assert.That(Image.Stages[0].Image, Is.EqualTo($"mcr.microsoft.com/dotnet/sdk:{version}"));
        // The scheduler is a Microsoft.NET.Sdk.Web project: it needs the ASP.NET Core shared framework.
        Assert.That(XDocument.Load(Path.Combine(Root, "Scheduler", "Scheduler.csproj")).Root!.Attribute("Sdk")!.Value, Is.EqualTo("Microsoft.NET.Sdk.Web"));
        Assert.That(Image.Final.Image, Does.StartWith($"mcr.microsoft.com/dotnet/aspnet:{version}-").And.Contain("chiseled"));
    }

    [Test]
    public void The_entrypoint_is_the_scheduler_s_assembly_and_the_build_publishes_its_project()
    {
        var assembly = Property("Scheduler/Scheduler.csproj", "AssemblyName");
        Assert.That(Image.Final.Last("ENTRYPOINT")!.Args, Is.EqualTo(new[] { "/usr/bin/dotnet", $"{assembly}.dll" }), "the muxer where the runtime images put it");
        var publish = Image.Stages[0].All("RUN").Select(r => r.Args).Single(a => a.Contains("publish"));
        Assert.That(publish, Does.Contain("Scheduler/Scheduler.csproj"));
        Assert.That(publish, Does.Contain("Release"));
        Assert.That(Image.Final.Last("CMD")!.Args, Is.EqualTo(new[] { "run" }), "without args the container runs the scheduler");
        Assert.That(Image.Final.Last("EXPOSE")!.Args, Is.EquivalentTo(ShippedManifests.Single<V1Deployment>("quorum").Spec.Template.Spec.Containers.Single()
            .Ports.Select(p => p.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture))));
    }

    [Test]
    public void Dockerignore_keeps_build_outputs_out_and_sources_in()
    {
        Assert.That(Ignore.Excludes("Scheduler/bin/Debug/net10.0/quorum.dll"), Is.True);
        Assert.That(Ignore.Excludes("Scheduler.Core/obj/project.assets.json"), Is.True);
        Assert.That(Ignore.Excludes(".git/HEAD"), Is.True);
        Assert.That(Ignore.Excludes("Scheduler/Cli/RunCommand.cs"), Is.False);
        Assert.That(Ignore.Excludes("Directory.Build.props"), Is.False);
    }

    [Test]
    public void The_build_stage_replayed_from_the_files_it_copies_publishes_a_quorum_that_runs()
    {
        var scratch = Path.Combine(Path.GetTempPath(), $"quorum-docker-{Guid.NewGuid():N}");
        try
        {
            var (root, workDir) = new DockerBuildReplay(Root, Image, Ignore, scratch).Build();
            var entrypoint = Image.Final.Last("ENTRYPOINT")!.Args;
            var appDir = DockerBuildReplay.Host(root, workDir);
            var dll = Path.Combine(appDir, entrypoint[1]);
            Assert.That(File.Exists(dll), Is.True, $"{entrypoint[1]} in the final stage's WORKDIR {workDir}");

            // Framework-dependent: the runtime image must carry exactly these shared frameworks.
            using var runtimeConfig = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(dll, ".runtimeconfig.json")));
            var frameworks = runtimeConfig.RootElement.GetProperty("runtimeOptions").GetProperty("frameworks").EnumerateArray()
                .Select(f => f.GetProperty("name").GetString()).ToList();
            Assert.That(frameworks, Is.EquivalentTo(new[] { "Microsoft.NETCore.App", "Microsoft.AspNetCore.App" }), "what the aspnet image provides");
            Assert.That(File.Exists(Path.ChangeExtension(dll, null)), Is.False, "no apphost: the IL runs on every architecture of the runtime image");

            var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = appDir, RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add(entrypoint[1]);
            psi.ArgumentList.Add("help");
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            Assert.That(p.WaitForExit(TimeSpan.FromMinutes(1)), Is.True);
            Assert.That(p.ExitCode, Is.EqualTo(0), p.StandardError.ReadToEnd());
            Assert.That(stdout.Result, Does.Contain("run [--kubeconfig PATH] [--config FILE]"));
        }
        finally
        {
            if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
        }
    }
}
