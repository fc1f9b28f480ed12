using System.Diagnostics;

namespace Quorum.Tests.Manifests;

/// <summary>
/// Replays a Dockerfile without Docker, for images whose build steps are plain <c>dotnet</c>
/// commands: each stage gets a directory standing for its root filesystem, COPY takes files from the
/// build context (the repository minus .dockerignore) or from an earlier stage, WORKDIR moves, and RUN
/// runs its dotnet command with the stage's absolute paths mapped into that directory. What it
/// cannot show: the base images' contents (the SDK and runtime here are the machine's).
/// </summary>
internal sealed class DockerBuildReplay(string contextRoot, Dockerfile dockerfile, DockerIgnore ignore, string scratch)
{
    private readonly Dictionary<string, string> _stageRoots = new(StringComparer.Ordinal);

    /// <summary>Builds every stage in order; returns the final stage's root and working directory.</summary>
    public (string Root, string WorkDir) Build()
    {
        string root = "", workDir = "/";
        for (var s = 0; s < dockerfile.Stages.Count; s++)
        {
            var stage = dockerfile.Stages[s];
            root = Path.Combine(scratch, $"stage{s}");
            Directory.CreateDirectory(root);
            if (stage.Name is not null) _stageRoots[stage.Name] = root;
            workDir = "/";
            foreach (var i in stage.Instructions)
            {
                switch (i.Keyword)
                {
                    case "WORKDIR":
                        workDir = Absolute(workDir, i.Args.Single());
                        Directory.CreateDirectory(Host(root, workDir));
                        break;
                    case "COPY":
                        Copy(i, root, workDir);
                        break;
                    case "RUN":
                        Run(i.Args, root, workDir);
                        break;
                    case "ADD":
                        throw new NotSupportedException("ADD: use COPY");
                }
            }
        }
        return (root, workDir);
    }

    /// <summary>A container path as a path under the stage's directory.</summary>
    public static string Host(string root, string containerPath) => Path.Combine(root, containerPath.TrimStart('/'));

    private static string Absolute(string workDir, string path) => path.StartsWith('/') ? path : $"{workDir.TrimEnd('/')}/{path}";

    private void Copy(DockerInstruction i, string root, string workDir)
    {
        var sources = i.Args.Take(i.Args.Count - 1).ToList();
        var dest = Absolute(workDir, i.Args[^1]);
        var intoDirectory = i.Args[^1].EndsWith('/') || sources.Count > 1 || i.Args[^1] is "." or "./";
        var from = i.Flags.TryGetValue("from", out var stage) ? _stageRoots[stage] : null;
        foreach (var source in sources)
        {
            var path = from is null ? Path.Combine(contextRoot, source) : Host(from, source);
            var relative = source.Trim('/');
            if (from is null && ignore.Excludes(relative)) throw new FileNotFoundException($"COPY {source}: excluded by .dockerignore, so not in the build context");
            if (Directory.Exists(path))
            {
                // A directory's contents go into the destination, not the directory itself.
                foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories))
                {
                    var below = Path.GetRelativePath(path, file).Replace(Path.DirectorySeparatorChar, '/');
                    if (from is null && ignore.Excludes($"{relative}/{below}")) continue;
                    CopyFile(file, Host(root, $"{dest.TrimEnd('/')}/{below}"));
                }
            }
            else if (File.Exists(path))
            {
                CopyFile(path, Host(root, intoDirectory ? $"{dest.TrimEnd('/')}/{Path.GetFileName(path)}" : dest));
            }
            else
            {
                throw new FileNotFoundException($"COPY {source}: not found in the {(from is null ? "build context" : "stage " + stage)}");
            }
        }
    }

    private static void CopyFile(string from, string to)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        File.Copy(from, to, overwrite: true);
    }

    private static void Run(IReadOnlyList<string> args, string root, string workDir)
    {
        if (args.Count == 0 || args[0] != "dotnet" || args.Any(a => a.IndexOfAny(['&', '|', ';', '$', '>', '<']) >= 0))
            throw new NotSupportedException($"RUN {string.Join(' ', args)}: the replay runs plain dotnet commands only");
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Host(root, workDir),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in args.Skip(1))
        {
            // Absolute container paths, bare or as an option's value (-o /app, -p:X=/y), into the stage.
            var eq = a.IndexOf('=', StringComparison.Ordinal);
            if (a.StartsWith('/')) psi.ArgumentList.Add(Host(root, a));
            else if (eq > 0 && a[(eq + 1)..].StartsWith('/')) psi.ArgumentList.Add(a[..(eq + 1)] + Host(root, a[(eq + 1)..]));
            else psi.ArgumentList.Add(a);
        }
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"RUN {string.Join(' ', args)} did not finish in 5 minutes");
        }
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"RUN {string.Join(' ', args)} exited {p.ExitCode}:\n{stdout.Result}\n{stderr.Result}");
    }
}
