import { FeaturedModels } from "@/components/landing/FeaturedModels";
import { Hero } from "@/components/landing/Hero";
import { HowItWorks } from "@/components/landing/HowItWorks";

export default function HomePage() {
  return (
    <>
      <Hero />
      <FeaturedModels />
      <HowItWorks />
    </>
  );
}
