import Link from "next/link";

export function Hero() {
  return (
    <section className="rounded-2xl bg-gradient-to-br from-indigo-600 to-sky-600 px-6 py-14 text-white sm:px-12">
      <h1 className="max-w-2xl text-3xl font-bold tracking-tight sm:text-5xl">
        From a ZIP to a live model demo, in minutes.
      </h1>
      <p className="mt-4 max-w-2xl text-lg text-indigo-100">
        Upload your Streamlit project; Model Hub builds it into an image, runs it, and gives
        everyone a link to try your model.
      </p>
      <div className="mt-8 flex flex-wrap gap-3">
        <Link href="/gallery" className="rounded-md bg-white px-5 py-2.5 font-semibold text-indigo-700 shadow hover:bg-indigo-50">
          Browse models
        </Link>
        <Link href="/upload" className="rounded-md border border-white/70 px-5 py-2.5 font-semibold text-white hover:bg-white/10">
          Upload a model
        </Link>
      </div>
    </section>
  );
}
