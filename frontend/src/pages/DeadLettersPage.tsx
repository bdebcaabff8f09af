export default function DeadLettersPage() {
  return <h1>DeadLettersPage</h1>;
}
