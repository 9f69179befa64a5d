const STEPS = [
  {
    title: "Upload",
    body: "A ZIP or RAR with app.py (or main.py), requirements.txt, your model files and assets.",
  },
  {
    title: "Build",
    body: "Model Hub checks the bundle, builds a Docker image and streams the build log to you.",
  },
  {
    title: "Launch",
    body: "Anyone can launch the demo; it runs in its own container and opens right on the page.",
  },
];

export function HowItWorks() {
  return (
    <section aria-labelledby="how-it-works" className="mt-14">
      <h2 id="how-it-works" className="text-2xl font-bold">
        How it works
      </h2>
      <ol className="mt-6 grid gap-4 sm:grid-cols-3">
        {STEPS.map((step, i) => (
          <li key={step.title} className="card">
            <span className="flex h-8 w-8 items-center justify-center rounded-full bg-indigo-100 font-bold text-indigo-700">
              {i + 1}
            </span>
            <h3 className="mt-3 font-semibold">{step.title}</h3>
            <p className="mt-1 text-sm text-slate-600">{step.body}</p>
          </li>
        ))}
      </ol>
    </section>
  );
}
