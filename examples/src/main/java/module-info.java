/** The example as a module: it needs ntk4j-core's API only; backends are found as services. */
module org.ntk4j.examples {
    requires org.ntk4j.core;
}
